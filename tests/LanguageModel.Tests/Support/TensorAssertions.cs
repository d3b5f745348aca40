using static TorchSharp.torch;

namespace LanguageModel.Tests.Support;

public static class TensorAssertions
{
    /// <summary>Same shape and bit-for-bit the same values (TorchSharp's <c>equal</c> is element-wise).</summary>
    public static bool SameValues(this Tensor actual, Tensor expected)
    {
        if (!actual.shape.SequenceEqual(expected.shape)) return false;
        using var same = actual.eq(expected).all();
        return same.item<bool>();
    }
}
