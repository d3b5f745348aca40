using LanguageModel;

namespace Ptb.Benchmarks;

/// <summary>
/// Floating-point operations of one training step, counted from the model's shape.
/// </summary>
/// <remarks>
/// Per predicted word, the forward pass does two matrix products per LSTM layer (input and recurrent, each
/// <c>[H] x [H, 4H]</c>: <c>2 · 2 · H · 4H = 16 H²</c> operations) and the softmax head (<c>[H] x [H, V]</c>:
/// <c>2 H V</c>). The backward pass costs twice the forward pass (a gradient for the input and one for the weights
/// per product), so a training step does <c>3 · (L · 16 H² + 2 H V)</c> operations per word. Element-wise work
/// (gates, log-softmax, SGD update) and the embedding lookup are left out: they are a few percent at these sizes.
/// </remarks>
internal static class ModelFlops
{
    public static double TrainingPerWord(PtbConfig config, int vocabularySize)
    {
        double h = config.HiddenSize, v = vocabularySize;
        return 3 * (config.NumLayers * 16 * h * h + 2 * h * v);
    }
}
