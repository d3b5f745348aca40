namespace LanguageModel;

/// <summary>A PTB-style corpus: the vocabulary of its training file and the word ids of its three splits.</summary>
/// <param name="Vocabulary">The vocabulary built from the training split.</param>
/// <param name="Train">The training split's ids, <c>&lt;eos&gt;</c> at the end of every line.</param>
/// <param name="Valid">The validation split's ids.</param>
/// <param name="Test">The test split's ids.</param>
public sealed record PtbCorpus(Vocabulary Vocabulary, int[] Train, int[] Valid, int[] Test);
