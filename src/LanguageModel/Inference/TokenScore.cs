namespace LanguageModel;

/// <summary>The score of one token.</summary>
/// <param name="Word">The word as written in the input (or <c>&lt;eos&gt;</c> at the end of a sentence).</param>
/// <param name="Id">The id scored: the word's, or <c>&lt;unk&gt;</c>'s when the word is not in the vocabulary.</param>
/// <param name="LogProbability">Natural-log probability of the token given everything before it.</param>
/// <param name="IsUnknown">Whether the word was not in the vocabulary and was scored as <c>&lt;unk&gt;</c>.</param>
public sealed record TokenScore(string Word, int Id, double LogProbability, bool IsUnknown);
