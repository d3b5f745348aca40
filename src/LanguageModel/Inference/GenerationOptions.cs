namespace LanguageModel;

/// <summary>How <see cref="TextGenerator"/> picks each next word.</summary>
public sealed record GenerationOptions
{
    /// <summary>The most words to produce (<c>&lt;eos&gt;</c> counts as one).</summary>
    public int MaxWords { get; init; } = 50;

    /// <summary>Divides the logits before sampling: below 1 sharper, above 1 flatter; 0 means greedy (always the most likely word).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Sample only among the K most likely words; null for no limit.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: sample only among the most likely words whose probabilities add up to P; null for no limit.</summary>
    public double? TopP { get; init; }

    /// <summary>Seed for sampling; the same seed, model and prompt give the same text. Null draws a random seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Stop after the first <c>&lt;eos&gt;</c> (which is yielded).</summary>
    public bool StopAtEndOfSentence { get; init; }

    /// <summary>Checks every value and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public GenerationOptions Validate()
    {
        if (MaxWords < 1) throw new ArgumentOutOfRangeException(nameof(MaxWords), MaxWords, $"{nameof(MaxWords)} must be at least 1, but is {MaxWords}.");
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, $"{nameof(Temperature)} must be 0 (greedy) or positive and finite, but is {Temperature}.");
        if (TopK is < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"{nameof(TopK)} must be at least 1, but is {TopK}.");
        if (TopP is { } p && !(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, $"{nameof(TopP)} must be in (0, 1], but is {TopP}.");
        return this;
    }
}
