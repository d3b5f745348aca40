namespace LanguageModel;

/// <summary>The score of a text of one or more sentences.</summary>
/// <param name="Sentences">One score per sentence, in order.</param>
/// <param name="LogProbability">The total log-probability.</param>
/// <param name="TokenCount">Tokens scored, <c>&lt;eos&gt;</c> included.</param>
/// <param name="Perplexity"><c>exp(-LogProbability / TokenCount)</c>.</param>
public sealed record ScoreResult(IReadOnlyList<SentenceScore> Sentences, double LogProbability, int TokenCount, double Perplexity);
