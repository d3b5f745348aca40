namespace LanguageModel;

/// <summary>Which pass over the data a progress report belongs to.</summary>
public enum TrainingPhase
{
    /// <summary>A training epoch (dropout on, parameters updated).</summary>
    Train,
    /// <summary>The validation pass after an epoch.</summary>
    Valid,
    /// <summary>The final test pass at batch size 1.</summary>
    Test,
}
