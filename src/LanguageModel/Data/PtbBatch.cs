using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// One training window: <see cref="Input"/> and <see cref="Target"/> are int64 tensors of shape
/// <c>[batchSize, numSteps]</c> on the CPU, the target being the input shifted one token ahead. Owns both tensors.
/// </summary>
public sealed class PtbBatch : IDisposable
{
    internal PtbBatch(int index, Tensor input, Tensor target)
    {
        Index = index;
        Input = input;
        Target = target;
    }

    /// <summary>The window's position in the pass, from 0.</summary>
    public int Index { get; }

    /// <summary>The input ids, <c>[batchSize, numSteps]</c>, int64.</summary>
    public Tensor Input { get; }

    /// <summary>The ids to predict, <c>[batchSize, numSteps]</c>, int64: <see cref="Input"/> shifted by one token.</summary>
    public Tensor Target { get; }

    /// <summary>Releases both tensors.</summary>
    public void Dispose()
    {
        Input.Dispose();
        Target.Dispose();
    }
}
