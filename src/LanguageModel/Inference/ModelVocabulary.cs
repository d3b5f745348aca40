namespace LanguageModel;

/// <summary>Checks that a model and a vocabulary belong together before they are used for inference.</summary>
internal static class ModelVocabulary
{
    /// <summary>Returns the id of <c>&lt;eos&gt;</c>, which inference uses as the context of a new sentence.</summary>
    /// <exception cref="ArgumentException">The sizes differ, or the vocabulary has no <c>&lt;eos&gt;</c>.</exception>
    public static int EndOfSentenceId(PtbLanguageModel model, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count != model.VocabularySize)
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} words but the model predicts {model.VocabularySize}.", nameof(vocabulary));
        if (!vocabulary.TryGetId(Vocabulary.EndOfSentence, out int id))
            throw new ArgumentException($"The vocabulary has no '{Vocabulary.EndOfSentence}', which starts and ends sentences.", nameof(vocabulary));
        return id;
    }
}
