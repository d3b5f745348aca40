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

    /// <summary>
    /// A preset for a 2-core CPU and one hour: Medium's size with tied weights and locked dropout, trained on a
    /// learning-rate schedule that decays to the end of a 58-minute budget (the test pass and loading fit in the
    /// remaining two). The README's results section shows what it reaches on a 2-core CPU.
    /// </summary>
    public static PtbConfig CpuBudget { get; } = new("cpubudget", 0.05, 1.0, 5, 2, 35, 650, 6, 100, 0.5, 0.8, 20)
    {
        TieWeights = true,
        LockedDropout = true,
        InputDropout = 0.4,
        HiddenDropout = 0.25,
        OutputDropout = 0.4,
        EmbeddingDropout = 0.1,
        ActivationRegularization = 2,
        TemporalActivationRegularization = 1,
        TimeBudget = TimeSpan.FromMinutes(58),
    };

    /// <summary>
    /// The AWD-LSTM of Merity et al. (2017, "Regularizing and Optimizing LSTM Language Models"): 3 layers of 1150
    /// units, 400-dimensional tied embeddings, weight drop 0.5 on the hidden-to-hidden matrices, locked dropout
    /// (0.4 input, 0.3 between layers, 0.4 output), embedding dropout 0.1, AR 2, TAR 1, batch 40 of 70 steps, NT-ASGD.
    /// The paper reaches 58.8 test perplexity (before its fine-tuning and cache stages) after hundreds of epochs on a GPU.
    /// Not reproduced here: the paper's variable-length BPTT windows and its fine-tuning stage; weights start uniform in
    /// <c>±InitScale</c> as in TensorFlow rather than with PyTorch's defaults. Its learning rate 30 and clipping 0.25 act on
    /// a cost averaged over time; this library's cost is summed over time, so they appear here divided and
    /// multiplied by the 70 steps.
    /// </summary>
    public static PtbConfig AwdLstm { get; } = new("awd-lstm", 0.04, 30.0 / 70, 0.25 * 70, 3, 70, 1150, 500, 500, 0.6, 1.0, 40)
    {
        EmbeddingSize = 400,
        TieWeights = true,
        LockedDropout = true,
        InputDropout = 0.4,
        HiddenDropout = 0.3,
        OutputDropout = 0.4,
        EmbeddingDropout = 0.1,
        WeightDrop = 0.5,
        ActivationRegularization = 2,
        TemporalActivationRegularization = 1,
        AveragedSgd = true,
    };

    /// <summary>The presets by name.</summary>
    public static IReadOnlyList<PtbConfig> Presets { get; } = [Small, Medium, Large, Test, CpuBudget, AwdLstm];

    // Everything below is off in TensorFlow's presets, so that they build, draw random numbers and train exactly as
    // the tutorial does. Each option names the paper it comes from.

    /// <summary>The embedding width; <see cref="HiddenSize"/> when null. With <see cref="TieWeights"/> the last LSTM
    /// layer has this many units, so that its output meets the shared matrix (as in AWD-LSTM).</summary>
    public int? EmbeddingSize { get; init; }

    /// <summary>Share one matrix between the embedding and the softmax head (Inan et al. 2016; Press &amp; Wolf 2017).
    /// The head then has only its bias of its own; the shared matrix is one parameter, seen once by SGD and clipping.</summary>
    public bool TieWeights { get; init; }

    /// <summary>Variational ("locked") dropout (Gal &amp; Ghahramani 2016): one mask per sequence and window, shared by
    /// every time step, on the input, between layers and on the output. Off: a fresh mask per time step, as in TensorFlow.</summary>
    public bool LockedDropout { get; init; }

    /// <summary>Dropout probability on the embedded input; <see cref="DropoutProbability"/> when null.</summary>
    public double? InputDropout { get; init; }

    /// <summary>Dropout probability between LSTM layers; <see cref="DropoutProbability"/> when null.</summary>
    public double? HiddenDropout { get; init; }

    /// <summary>Dropout probability on the last layer's output, before the head; <see cref="DropoutProbability"/> when null.</summary>
    public double? OutputDropout { get; init; }

    /// <summary>Embedding (word-type) dropout (Gal &amp; Ghahramani 2016): during training each word type of the
    /// vocabulary is dropped with this probability for a whole window, every occurrence of it at once. 0 turns it off.</summary>
    public double EmbeddingDropout { get; init; }

    /// <summary>DropConnect on the hidden-to-hidden matrices (Merity et al. 2017): a fresh mask per window, the same
    /// for every time step. 0 turns it off.</summary>
    public double WeightDrop { get; init; }

    /// <summary>Activation regularisation α (Merity et al. 2017): adds <c>α · mean(h²)</c> of the last layer's
    /// dropped-out output, per time step, to the cost. 0 turns it off.</summary>
    public double ActivationRegularization { get; init; }

    /// <summary>Temporal activation regularisation β (Merity et al. 2017): adds <c>β · mean((h_t − h_{t−1})²)</c> of
    /// the last layer's output before dropout, per time step, to the cost. 0 turns it off.</summary>
    public double TemporalActivationRegularization { get; init; }

    /// <summary>Non-monotonically triggered averaged SGD (NT-ASGD, Merity et al. 2017): once the validation perplexity
    /// is worse than the best of the epochs more than <see cref="NonmonotoneInterval"/> epochs ago, the weights used
    /// for validation, checkpoints and the result are the average of every iterate since. A run resumed from a
    /// checkpoint written while averaging continues from the averaged weights and starts a new average.</summary>
    public bool AveragedSgd { get; init; }

    /// <summary>The patience of <see cref="AveragedSgd"/>'s trigger, in epochs.</summary>
    public int NonmonotoneInterval { get; init; } = 5;

    /// <summary>
    /// Train for this much wall-clock time (training and validation), whatever <see cref="MaxMaxEpoch"/> says: the
    /// learning rate stays at <see cref="LearningRate"/> for <see cref="BudgetFullRateFraction"/> of the budget, then
    /// decays geometrically, step by step, to <see cref="BudgetFinalRateRatio"/> times it at the end, and the run stops
    /// in time for its last validation pass. Null: TensorFlow's per-epoch schedule.
    /// </summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>The share of <see cref="TimeBudget"/> trained at the full learning rate.</summary>
    public double BudgetFullRateFraction { get; init; } = 0.35;

    /// <summary>The learning rate at the end of <see cref="TimeBudget"/>, as a fraction of <see cref="LearningRate"/>.</summary>
    public double BudgetFinalRateRatio { get; init; } = 0.005;

    /// <summary>The embedding width: <see cref="EmbeddingSize"/>, or <see cref="HiddenSize"/> when that is null.</summary>
    public int EmbeddingWidth => EmbeddingSize ?? HiddenSize;

    /// <summary>The units of LSTM layer <paramref name="layer"/> (0-based): <see cref="HiddenSize"/>, except the last
    /// layer of a tied model, which has <see cref="EmbeddingWidth"/>.</summary>
    public int LayerSize(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, NumLayers);
        return TieWeights && layer == NumLayers - 1 ? EmbeddingWidth : HiddenSize;
    }

    /// <summary>Whether the layers run one by one (locked dropout between them, or layers of different widths)
    /// rather than as one multi-layer LSTM, which is TensorFlow's presets' structure.</summary>
    public bool RunsLayerByLayer => LockedDropout || EmbeddingWidth != HiddenSize;

    /// <summary>Returns the preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists them.</exception>
    public static PtbConfig FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown configuration '{name}'; choose one of {string.Join(", ", Presets.Select(p => p.Name))}.", nameof(name));
    }

    /// <summary>The dropout probability, <c>1 - KeepProb</c>: TensorFlow's presets speak of keeping, torch of dropping.
    /// <see cref="InputDropout"/>, <see cref="HiddenDropout"/> and <see cref="OutputDropout"/> override it place by place.</summary>
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
        Require(EmbeddingSize is null or >= 1, nameof(EmbeddingSize), EmbeddingSize!, "at least 1");
        static bool IsProbability(double? p) => p is null || (p >= 0 && p < 1);
        Require(IsProbability(InputDropout), nameof(InputDropout), InputDropout!, "in [0, 1)");
        Require(IsProbability(HiddenDropout), nameof(HiddenDropout), HiddenDropout!, "in [0, 1)");
        Require(IsProbability(OutputDropout), nameof(OutputDropout), OutputDropout!, "in [0, 1)");
        Require(IsProbability(EmbeddingDropout), nameof(EmbeddingDropout), EmbeddingDropout, "in [0, 1)");
        Require(IsProbability(WeightDrop), nameof(WeightDrop), WeightDrop, "in [0, 1)");
        Require(ActivationRegularization >= 0 && double.IsFinite(ActivationRegularization), nameof(ActivationRegularization), ActivationRegularization, "non-negative and finite");
        Require(TemporalActivationRegularization >= 0 && double.IsFinite(TemporalActivationRegularization), nameof(TemporalActivationRegularization), TemporalActivationRegularization, "non-negative and finite");
        Require(NonmonotoneInterval >= 1, nameof(NonmonotoneInterval), NonmonotoneInterval, "at least 1");
        Require(TimeBudget is null || TimeBudget > TimeSpan.Zero, nameof(TimeBudget), TimeBudget!, "positive");
        Require(BudgetFullRateFraction >= 0 && BudgetFullRateFraction < 1, nameof(BudgetFullRateFraction), BudgetFullRateFraction, "in [0, 1)");
        Require(BudgetFinalRateRatio > 0 && BudgetFinalRateRatio <= 1, nameof(BudgetFinalRateRatio), BudgetFinalRateRatio, "in (0, 1]");
        return this;
    }
}
