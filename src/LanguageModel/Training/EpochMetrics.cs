namespace LanguageModel;

/// <summary>What one epoch gave.</summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="LearningRate">The learning rate used throughout the epoch (under a <see cref="PtbConfig.TimeBudget"/>, the last one used).</param>
/// <param name="TrainPerplexity">Perplexity over the training pass, dropout on, as the parameters moved.</param>
/// <param name="ValidPerplexity">Perplexity over the validation split after the epoch.</param>
/// <param name="Seconds">Wall-clock seconds of the training pass.</param>
/// <param name="WordsPerSecond">Training speed: <c>windows × batch size × steps / seconds</c>.</param>
public sealed record EpochMetrics(
    int Epoch,
    double LearningRate,
    double TrainPerplexity,
    double ValidPerplexity,
    double Seconds,
    double WordsPerSecond)
{
    /// <summary>Wall-clock seconds since the run started, training and validation of every epoch so far included
    /// (what a <see cref="PtbConfig.TimeBudget"/> counts). Null in metrics written before it was recorded.</summary>
    public double? ElapsedSeconds { get; init; }
}
