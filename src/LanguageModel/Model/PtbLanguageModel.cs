using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// The LSTM language model of Zaremba et al. (2014) as in TensorFlow's PTB tutorial:
/// embedding <c>[V, H]</c> → dropout → <c>NumLayers</c> LSTM layers of <c>H</c> units (dropout on every layer's
/// output, none on the recurrent connections) → linear softmax head <c>[H, V]</c>.
/// The regularisation options of <see cref="PtbConfig"/> (tied weights, locked and embedding dropout, a narrower
/// tied embedding) change the pieces; TensorFlow's presets use none of them.
/// </summary>
/// <remarks>
/// The hidden state is a value passed in and returned, never kept inside the module: the caller decides when it
/// is reset, carried or detached. Dropout is active only in training mode (<c>train()</c>); call <c>eval()</c> to score.
/// </remarks>
public sealed class PtbLanguageModel : nn.Module<Tensor, LstmState, (Tensor Logits, LstmState State)>
{
    // Declared in this order on purpose: registration follows it, and so do the random numbers of the initialisation.
    private readonly Embedding embedding;
    private readonly nn.Module<Tensor, Tensor> inputDropout;
    private readonly nn.Module lstm;                           // LSTM, or ModuleList<LSTM> when the layers run one by one
    private readonly nn.Module<Tensor, Tensor> hiddenDropout;  // between layers, when they run one by one
    private readonly nn.Module<Tensor, Tensor> outputDropout;
    private readonly nn.Module<Tensor, Tensor> softmax;        // Linear, or TiedSoftmax sharing the embedding matrix

    /// <summary>Creates the model with TensorFlow's initialisation, on <paramref name="device"/> (CUDA when available if null).</summary>
    /// <param name="config">The hyperparameters; validated here.</param>
    /// <param name="vocabularySize">The number of words, from the data.</param>
    /// <param name="device">Where the parameters live; <see cref="TorchDevice.Resolve(string?)"/> with <c>auto</c> when null.</param>
    public PtbLanguageModel(PtbConfig config, int vocabularySize, Device? device = null) : base(nameof(PtbLanguageModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        Config = config;
        VocabularySize = vocabularySize;
        StateWidth = Enumerable.Range(0, config.NumLayers).Max(config.LayerSize);

        int hidden = config.HiddenSize;
        double input = config.InputDropout ?? config.DropoutProbability;
        double between = config.HiddenDropout ?? config.DropoutProbability;
        double output = config.OutputDropout ?? config.DropoutProbability;
        embedding = nn.Embedding(vocabularySize, config.EmbeddingWidth);
        inputDropout = config.LockedDropout ? new LockedDropout(input) : nn.Dropout(input);
        if (config.RunsLayerByLayer)
        {
            lstm = nn.ModuleList(Enumerable.Range(0, config.NumLayers)
                .Select(l => nn.LSTM(l == 0 ? config.EmbeddingWidth : hidden, config.LayerSize(l), batchFirst: true)).ToArray());
        }
        else
        {
            // nn.LSTM's own dropout acts between layers only; the top layer's output gets outputDropout.
            lstm = nn.LSTM(hidden, hidden, config.NumLayers, batchFirst: true, dropout: config.NumLayers > 1 ? between : 0);
        }
        hiddenDropout = config.LockedDropout ? new LockedDropout(between) : nn.Dropout(between);
        outputDropout = config.LockedDropout ? new LockedDropout(output) : nn.Dropout(output);
        softmax = config.TieWeights
            ? new TiedSoftmax(() => embedding.weight!, vocabularySize)
            : nn.Linear(config.LayerSize(config.NumLayers - 1), vocabularySize);
        RegisterComponents();

        InitializeLikeTensorFlow();
        Device = device ?? TorchDevice.Resolve("auto");
        if (Device.type != DeviceType.CPU) this.to(Device);
    }

    /// <summary>The hyperparameters the model was built with.</summary>
    public PtbConfig Config { get; }

    /// <summary>The number of words the model predicts over.</summary>
    public int VocabularySize { get; }

    /// <summary>The device holding the parameters.</summary>
    public Device Device { get; private set; }

    /// <summary>A zero state for <paramref name="batchSize"/> sequences, on the model's device.</summary>
    public LstmState ZeroState(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long[] shape = [Config.NumLayers, batchSize, StateWidth];
        return new LstmState(zeros(shape, device: Device), zeros(shape, device: Device));
    }

    /// <summary>The width of the state tensors: the widest layer. Narrower layers use the leading columns.</summary>
    private int StateWidth { get; }

    /// <summary>Runs the model over a window of ids.</summary>
    /// <param name="input">Word ids, <c>[B, T]</c>, int64, on any device (moved to the model's).</param>
    /// <param name="state">The state to start from, <c>[NumLayers, B, H]</c> each (see <see cref="ZeroState"/>).</param>
    /// <returns>Logits <c>[B, T, V]</c> and the state after the last step (still attached to the graph).</returns>
    public override (Tensor Logits, LstmState State) forward(Tensor input, LstmState state)
    {
        var (logits, next, lastOutput, droppedOutput) = Run(input, state);
        lastOutput.Dispose();
        droppedOutput.Dispose();
        return (logits, next);
    }

    /// <summary>
    /// <see cref="forward"/>, also returning the last layer's output before and after its dropout, <c>[B, T, H]</c>
    /// each, which activation regularisation needs.
    /// </summary>
    internal (Tensor Logits, LstmState State, Tensor LastOutput, Tensor DroppedOutput) Run(Tensor input, LstmState state)
    {
        var (output, dropped, next) = Encode(input, state);
        return (Head(dropped), next, output, dropped);
    }

    /// <summary>
    /// Everything before the softmax head: the last layer's output <c>[B, T, H]</c> before and after its dropout,
    /// and the state after the last step. <see cref="Head"/> of the dropped output gives the logits.
    /// </summary>
    internal (Tensor Output, Tensor Dropped, LstmState State) Encode(Tensor input, LstmState state)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        var ids = input.to(Device);
        var x = embedding.call(ids);                                                   // [B, T] -> [B, T, E]
        if (training && Config.EmbeddingDropout > 0) x = EmbeddingDropout.Apply(x, ids, VocabularySize, Config.EmbeddingDropout);
        x = inputDropout.call(x);
        Tensor output, hidden, cell;
        if (lstm is LSTM stacked)
        {
            (output, hidden, cell) = stacked.call(x, (state.Hidden, state.Cell));     // [B, T, H], [L, B, H] x2
        }
        else
        {
            var layers = (ModuleList<LSTM>)lstm;
            var hiddens = new Tensor[layers.Count];
            var cells = new Tensor[layers.Count];
            output = x;
            for (int layer = 0; layer < layers.Count; layer++)
            {
                if (layer > 0) output = hiddenDropout.call(output);
                var (h0, c0) = LayerState(state, layer);
                var (layerOutput, h, c) = layers[layer].call(output, (h0.unsqueeze(0), c0.unsqueeze(0)));
                hiddens[layer] = Widen(h[0]);
                cells[layer] = Widen(c[0]);
                output = layerOutput;
            }
            (hidden, cell) = (stack(hiddens), stack(cells));
        }
        var dropped = outputDropout.call(output);
        return (output.MoveToOuterDisposeScope(), dropped.MoveToOuterDisposeScope(),
                new LstmState(hidden.MoveToOuterDisposeScope(), cell.MoveToOuterDisposeScope()));
    }

    /// <summary>The softmax head's logits for the last layer's (dropped) output: <c>[..., H]</c> -> <c>[..., V]</c>.</summary>
    internal Tensor Head(Tensor features) => softmax.call(features);

    /// <summary>
    /// The hidden-to-hidden matrices, one per layer, for weight drop. They are the LSTM's own parameters, so
    /// checkpoints and the parameter list are the same with weight drop on or off.
    /// </summary>
    internal IReadOnlyList<Parameter> RecurrentWeights =>
        Enumerable.Range(0, Config.NumLayers).Select(l => LayerWeights(l).HiddenToHidden).ToArray();

    /// <summary>
    /// One time step for every sequence of a batch, for inference: the same function as <see cref="forward"/> on a
    /// window of length 1 (in eval mode), computed from the LSTM's weights with plain tensor operations. At batch
    /// size 1 this is several times faster than the fused LSTM kernel, whose setup dominates such small calls.
    /// </summary>
    /// <param name="ids">The current word of each sequence, <c>[B]</c>, int64.</param>
    /// <param name="state">The state before this step.</param>
    /// <returns>Logits <c>[B, V]</c> and the state after the step. Call it under <c>no_grad</c>.</returns>
    public (Tensor Logits, LstmState State) Step(Tensor ids, LstmState state)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        var x = embedding.call(ids.to(Device));                                   // [B] -> [B, E]
        var hidden = new Tensor[Config.NumLayers];
        var cell = new Tensor[Config.NumLayers];
        for (int layer = 0; layer < Config.NumLayers; layer++)
        {
            var w = LayerWeights(layer);
            var (h0, c0) = LayerState(state, layer);
            // torch's gate order: input, forget, cell candidate, output.
            var gates = Affine(x, w.InputToHidden, w.InputBias) + Affine(h0, w.HiddenToHidden, w.HiddenBias); // [B, 4H]
            var chunks = gates.chunk(4, dim: 1);
            var c = sigmoid(chunks[1]) * c0 + sigmoid(chunks[0]) * tanh(chunks[2]);
            var h = sigmoid(chunks[3]) * tanh(c);
            hidden[layer] = Widen(h);
            cell[layer] = Widen(c);
            x = h;
        }
        var (headWeight, headBias) = HeadParameters;
        var logits = Affine(x, headWeight, headBias);                             // [B, H] -> [B, V]
        return (logits.MoveToOuterDisposeScope(), new LstmState(stack(hidden).MoveToOuterDisposeScope(), stack(cell).MoveToOuterDisposeScope()));
    }

    /// <summary>
    /// <c>x Wᵀ + b</c> for <c>x</c> of shape <c>[B, in]</c>. A single row goes through a matrix-vector product: in
    /// oneMKL's strict reproducibility mode (<see cref="MklCpuDispatch"/>) a one-row matrix product takes about 1.7
    /// times as long as the matrix-vector one, which is as fast as without that mode and also the same on any thread count.
    /// </summary>
    private static Tensor Affine(Tensor x, Tensor weight, Tensor bias) =>
        x.shape[0] == 1 ? bias.addmv(weight, x[0]).unsqueeze(0) : nn.functional.linear(x, weight, bias);

    /// <summary>The softmax head's <c>[V, H]</c> matrix (the embedding's when tied) and its bias.</summary>
    private (Tensor Weight, Tensor Bias) HeadParameters => softmax switch
    {
        Linear linear => (linear.weight!, linear.bias!),
        TiedSoftmax tied => (tied.Weight, tied.Bias),
        _ => throw new InvalidOperationException($"Unknown softmax head {softmax.GetType().Name}."),
    };

    private (Parameter InputToHidden, Parameter HiddenToHidden, Parameter InputBias, Parameter HiddenBias) LayerWeights(int layer)
    {
        var (module, suffix) = lstm is ModuleList<LSTM> layers ? ((nn.Module)layers[layer], "l0") : (lstm, $"l{layer}");
        var weights = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return (weights[$"weight_ih_{suffix}"], weights[$"weight_hh_{suffix}"], weights[$"bias_ih_{suffix}"], weights[$"bias_hh_{suffix}"]);
    }

    /// <summary>Layer <paramref name="layer"/>'s h and c, <c>[B, size]</c>, out of the widest-layer state tensors.</summary>
    private (Tensor Hidden, Tensor Cell) LayerState(LstmState state, int layer)
    {
        int size = Config.LayerSize(layer);
        var (h, c) = (state.Hidden[layer], state.Cell[layer]);
        return size == StateWidth ? (h, c) : (h.narrow(1, 0, size), c.narrow(1, 0, size));
    }

    /// <summary>Pads a narrower layer's <c>[B, size]</c> state with zero columns to the state width.</summary>
    private Tensor Widen(Tensor layerState)
    {
        long missing = StateWidth - layerState.shape[1];
        return missing == 0 ? layerState : nn.functional.pad(layerState, [0, missing]);
    }

    /// <summary>Moves the parameters to <paramref name="device"/> and makes it the device of new states.</summary>
    public PtbLanguageModel MoveTo(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.to(device);
        Device = device;
        return this;
    }

    private void InitializeLikeTensorFlow()
    {
        // TensorFlow's tutorial wraps the model in a uniform initializer, which reaches every variable except the
        // LSTM biases (BasicLSTMCell creates those with zeros; forget_bias is 0 in the tutorial).
        using var noGrad = no_grad();
        double scale = Config.InitScale;
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.StartsWith("lstm.", StringComparison.Ordinal) && name.Contains(".bias_", StringComparison.Ordinal))
                parameter.zero_();
            else
                parameter.uniform_(-scale, scale);
        }
    }
}
