namespace LanguageModel;

/// <summary>A progress report from <see cref="PtbTrainer"/>, sent after every window of a pass.</summary>
/// <param name="Phase">The pass: training, validation or test.</param>
/// <param name="Epoch">The 1-based epoch (for the test pass, the last epoch trained).</param>
/// <param name="Window">Windows done in this pass.</param>
/// <param name="WindowCount">Windows in this pass.</param>
/// <param name="Perplexity">The pass's perplexity so far.</param>
/// <param name="WordsPerSecond">The pass's speed so far.</param>
/// <param name="CompletedEpoch">Set on the report that closes an epoch (after its validation pass).</param>
public sealed record TrainingProgress(
    TrainingPhase Phase,
    int Epoch,
    int Window,
    int WindowCount,
    double Perplexity,
    double WordsPerSecond,
    EpochMetrics? CompletedEpoch = null);
