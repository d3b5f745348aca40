namespace LanguageModel;

/// <summary>
/// Every hyperparameter of the PTB LSTM language model and its training, in one place, with TensorFlow's PTB
/// tutorial presets (<see cref="Small"/>, <see cref="Medium"/>, <see cref="Large"/>, <see cref="Test"/>).
/// The vocabulary size is not part of it: it comes from the data.
/// </summary>
/// <param name="Name">A label for reports and checkpoints.</param>
/// <param name="InitScale">Weights, the embedding and the softmax bias start uniform in <c>[-InitScale, InitScale]</c>.</param>
/// <param name="LearningRate">The SGD learning rate of the first epochs.</param>
/// <param name="MaxGradNorm">Gradients are clipped to this global norm over all parameters.</param>
/// <param name="NumLayers">Stacked LSTM layers.</param>
/// <param name="NumSteps">Time steps per training window (truncated backpropagation length).</param>
/// <param name="HiddenSize">LSTM units per layer, which is also the embedding size.</param>
/// <param name="MaxEpoch">Epochs at the full learning rate; decay starts after them.</param>
/// <param name="MaxMaxEpoch">Epochs in all.</param>
/// <param name="KeepProb">Probability of keeping an activation under dropout; 1 turns dropout off.</param>
/// <param name="LrDecay">Factor applied to the learning rate each epoch after <paramref name="MaxEpoch"/>.</param>
/// <param name="BatchSize">Sequences per training window.</param>
public sealed record PtbConfig(
    string Name,
    double InitScale,
    double LearningRate,
    double MaxGradNorm,
    int NumLayers,
    int NumSteps,
    int HiddenSize,
    int MaxEpoch,
    int MaxMaxEpoch,
    double KeepProb,
    double LrDecay,
    int BatchSize)
{
    /// <summary>TensorFlow's small config: 13 epochs to about 116 test perplexity.</summary>
    public static PtbConfig Small { get; } = new("small", 0.1, 1.0, 5, 2, 20, 200, 4, 13, 1.0, 0.5, 20);

    /// <summary>TensorFlow's medium config: 39 epochs to about 82 test perplexity.</summary>
    public static PtbConfig Medium { get; } = new("medium", 0.05, 1.0, 5, 2, 35, 650, 6, 39, 0.5, 0.8, 20);

    /// <summary>TensorFlow's large config: 55 epochs to about 78 test perplexity.</summary>
    public static PtbConfig Large { get; } = new("large", 0.04, 1.0, 10, 2, 35, 1500, 14, 55, 0.35, 1 / 1.15, 20);

    /// <summary>TensorFlow's test config: a tiny model for checking that everything runs.</summary>
    public static PtbConfig Test { get; } = new("test", 0.1, 1.0, 1, 1, 2, 2, 1, 1, 1.0, 0.5, 20);

    /// <summary>The presets by name.</summary>
    public static IReadOnlyList<PtbConfig> Presets { get; } = [Small, Medium, Large, Test];

    /// <summary>Returns the preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists them.</exception>
    public static PtbConfig FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown configuration '{name}'; choose one of {string.Join(", ", Presets.Select(p => p.Name))}.", nameof(name));
    }

    /// <summary>The dropout probability, <c>1 - KeepProb</c>: TensorFlow's presets speak of keeping, torch of dropping.</summary>
    public double DropoutProbability => 1.0 - KeepProb;

    /// <summary>The learning rate of 0-based epoch <paramref name="epoch"/>: <c>LearningRate * LrDecay ^ max(epoch + 1 - MaxEpoch, 0)</c>.</summary>
    public double LearningRateAt(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return LearningRate * Math.Pow(LrDecay, Math.Max(epoch + 1 - MaxEpoch, 0));
    }

    /// <summary>Checks every value and names the first one out of range.</summary>
    /// <returns>This configuration, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public PtbConfig Validate()
    {
        static void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} must be {rule}, but is {value}.");
        }
        Require(double.IsFinite(InitScale) && InitScale > 0, nameof(InitScale), InitScale, "positive and finite");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), LearningRate, "positive and finite");
        Require(double.IsFinite(MaxGradNorm) && MaxGradNorm > 0, nameof(MaxGradNorm), MaxGradNorm, "positive and finite");
        Require(NumLayers >= 1, nameof(NumLayers), NumLayers, "at least 1");
        Require(NumSteps >= 1, nameof(NumSteps), NumSteps, "at least 1");
        Require(HiddenSize >= 1, nameof(HiddenSize), HiddenSize, "at least 1");
        Require(MaxEpoch >= 1, nameof(MaxEpoch), MaxEpoch, "at least 1");
        Require(MaxMaxEpoch >= 1, nameof(MaxMaxEpoch), MaxMaxEpoch, "at least 1");
        Require(KeepProb > 0 && KeepProb <= 1, nameof(KeepProb), KeepProb, "in (0, 1]");
        Require(LrDecay > 0 && LrDecay <= 1, nameof(LrDecay), LrDecay, "in (0, 1]");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "at least 1");
        return this;
    }
}
