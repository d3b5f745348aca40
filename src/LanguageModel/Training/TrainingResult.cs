namespace LanguageModel;

/// <summary>The record of a training run.</summary>
/// <param name="Config">The configuration trained.</param>
/// <param name="Device">The device it ran on, for example <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="Seed">The random seed.</param>
/// <param name="Epochs">One entry per completed epoch.</param>
/// <param name="TestPerplexity">The test perplexity, when the run reached the test pass.</param>
public sealed record TrainingResult(
    PtbConfig Config,
    string Device,
    int Seed,
    IReadOnlyList<EpochMetrics> Epochs,
    double? TestPerplexity);
