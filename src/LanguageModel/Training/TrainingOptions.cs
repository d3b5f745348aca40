namespace LanguageModel;

/// <summary>How to run <see cref="PtbTrainer.Run"/>: the configuration plus the choices that are not hyperparameters.</summary>
public sealed record TrainingOptions
{
    /// <summary>The hyperparameters; TensorFlow's small config by default.</summary>
    public PtbConfig Config { get; init; } = PtbConfig.Small;

    /// <summary>The seed of torch's random generator; the same seed gives the same numbers on the CPU.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The device: <c>auto</c> (CUDA when available), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Stop after this many epochs (the learning-rate schedule is unchanged); all of <see cref="PtbConfig.MaxMaxEpoch"/> when null.</summary>
    public int? Epochs { get; init; }

    /// <summary>Whether to finish with the test pass (batch size 1, state carried over the whole split).</summary>
    public bool RunTest { get; init; } = true;

    /// <summary>
    /// Continue the run saved in this training checkpoint: its configuration, weights, epoch count, metrics and random
    /// state replace <see cref="Config"/> and <see cref="Seed"/>. The corpus must have the checkpoint's vocabulary.
    /// </summary>
    public string? ResumeFrom { get; init; }

    /// <summary>After each epoch whose validation perplexity is the best so far, save a training checkpoint here.</summary>
    public string? BestCheckpointPath { get; init; }

    /// <summary>After every epoch, save a training checkpoint here (the one to resume from after an interruption).</summary>
    public string? LatestCheckpointPath { get; init; }

    /// <summary>The number of epochs a run of <paramref name="config"/> trains in all (counting epochs done before a resume).</summary>
    public int EpochCount(PtbConfig config) => Math.Min(Epochs ?? config.MaxMaxEpoch, config.MaxMaxEpoch);

    /// <summary>Checks the options and the configuration; names the first bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public TrainingOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Config, nameof(Config));
        Config.Validate();
        if (Epochs is < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, $"{nameof(Epochs)} must be at least 1, but is {Epochs}.");
        return this;
    }
}
