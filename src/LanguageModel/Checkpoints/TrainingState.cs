namespace LanguageModel;

/// <summary>
/// What a training checkpoint holds beyond the model, so that a run can continue exactly where it stopped.
/// </summary>
/// <param name="EpochsCompleted">Epochs finished; a resumed run starts with the next one.</param>
/// <param name="LearningRate">The SGD learning rate of the last finished epoch (plain SGD has no other optimizer state).</param>
/// <param name="BestValidPerplexity">The best validation perplexity so far.</param>
/// <param name="Seed">The seed the run started from.</param>
/// <param name="Epochs">The metrics of every finished epoch.</param>
/// <param name="RandomState">torch's CPU random-generator state after the last finished epoch.</param>
public sealed record TrainingState(
    int EpochsCompleted,
    double LearningRate,
    double BestValidPerplexity,
    int Seed,
    IReadOnlyList<EpochMetrics> Epochs,
    byte[] RandomState)
{
    /// <summary>Wall-clock seconds spent training and validating so far, which a <see cref="PtbConfig.TimeBudget"/> counts.</summary>
    public double ElapsedSeconds { get; init; }
}
