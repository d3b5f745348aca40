namespace LanguageModel;

/// <summary>The score of one sentence: its words and the <c>&lt;eos&gt;</c> that ends it.</summary>
/// <param name="Text">The sentence as given.</param>
/// <param name="Tokens">One score per word, then one for <c>&lt;eos&gt;</c>.</param>
/// <param name="LogProbability">The sum of the tokens' log-probabilities.</param>
/// <param name="Perplexity"><c>exp(-LogProbability / Tokens.Count)</c>.</param>
public sealed record SentenceScore(string Text, IReadOnlyList<TokenScore> Tokens, double LogProbability, double Perplexity);
