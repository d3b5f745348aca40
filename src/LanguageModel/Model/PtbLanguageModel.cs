using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// The LSTM language model of Zaremba et al. (2014) as in TensorFlow's PTB tutorial:
/// embedding <c>[V, H]</c> → dropout → <c>NumLayers</c> LSTM layers of <c>H</c> units (dropout on every layer's
/// output, none on the recurrent connections) → linear softmax head <c>[H, V]</c>.
/// </summary>
/// <remarks>
/// The hidden state is a value passed in and returned, never kept inside the module: the caller decides when it
/// is reset, carried or detached. Dropout is active only in training mode (<c>train()</c>); call <c>eval()</c> to score.
/// </remarks>
public sealed class PtbLanguageModel : nn.Module<Tensor, LstmState, (Tensor Logits, LstmState State)>
{
    private readonly Embedding embedding;
    private readonly Dropout inputDropout;
    private readonly LSTM lstm;
    private readonly Dropout outputDropout;
    private readonly Linear softmax;

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

        int hidden = config.HiddenSize;
        double dropout = config.DropoutProbability;
        embedding = nn.Embedding(vocabularySize, hidden);
        inputDropout = nn.Dropout(dropout);
        // nn.LSTM's own dropout acts between layers only; the top layer's output gets outputDropout.
        lstm = nn.LSTM(hidden, hidden, config.NumLayers, batchFirst: true, dropout: config.NumLayers > 1 ? dropout : 0);
        outputDropout = nn.Dropout(dropout);
        softmax = nn.Linear(hidden, vocabularySize);
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
        long[] shape = [Config.NumLayers, batchSize, Config.HiddenSize];
        return new LstmState(zeros(shape, device: Device), zeros(shape, device: Device));
    }

    /// <summary>Runs the model over a window of ids.</summary>
    /// <param name="input">Word ids, <c>[B, T]</c>, int64, on any device (moved to the model's).</param>
    /// <param name="state">The state to start from, <c>[NumLayers, B, H]</c> each (see <see cref="ZeroState"/>).</param>
    /// <returns>Logits <c>[B, T, V]</c> and the state after the last step (still attached to the graph).</returns>
    public override (Tensor Logits, LstmState State) forward(Tensor input, LstmState state)
    {
        using var scope = NewDisposeScope();
        var x = inputDropout.call(embedding.call(input.to(Device)));     // [B, T] -> [B, T, H]
        var (output, hidden, cell) = lstm.call(x, (state.Hidden, state.Cell)); // [B, T, H], [L, B, H] x2
        var logits = softmax.call(outputDropout.call(output));            // [B, T, H] -> [B, T, V]
        return (logits.MoveToOuterDisposeScope(), new LstmState(hidden.MoveToOuterDisposeScope(), cell.MoveToOuterDisposeScope()));
    }

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
        var x = embedding.call(ids.to(Device));                                   // [B] -> [B, H]
        var hidden = new Tensor[Config.NumLayers];
        var cell = new Tensor[Config.NumLayers];
        var weights = lstm.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        for (int layer = 0; layer < Config.NumLayers; layer++)
        {
            // torch's gate order: input, forget, cell candidate, output.
            var gates = nn.functional.linear(x, weights[$"weight_ih_l{layer}"], weights[$"bias_ih_l{layer}"])
                      + nn.functional.linear(state.Hidden[layer], weights[$"weight_hh_l{layer}"], weights[$"bias_hh_l{layer}"]); // [B, 4H]
            var chunks = gates.chunk(4, dim: 1);
            var c = sigmoid(chunks[1]) * state.Cell[layer] + sigmoid(chunks[0]) * tanh(chunks[2]);
            var h = sigmoid(chunks[3]) * tanh(c);
            hidden[layer] = h;
            cell[layer] = c;
            x = h;
        }
        var logits = softmax.call(x);                                             // [B, H] -> [B, V]
        return (logits.MoveToOuterDisposeScope(), new LstmState(stack(hidden).MoveToOuterDisposeScope(), stack(cell).MoveToOuterDisposeScope()));
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
