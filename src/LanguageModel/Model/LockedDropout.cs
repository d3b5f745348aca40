using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Variational ("locked") dropout (Gal &amp; Ghahramani 2016, "A Theoretically Grounded Application of Dropout in
/// Recurrent Neural Networks"): one Bernoulli mask per sequence, shared by every time step of the window, instead of
/// a fresh mask at each step. Acts on <c>[batch, time, features]</c>; the identity in eval mode or at probability 0.
/// </summary>
public sealed class LockedDropout : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="probability">The probability of dropping a feature, in <c>[0, 1)</c>.</param>
    public LockedDropout(double probability) : base(nameof(LockedDropout))
    {
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The dropout probability must be in [0, 1).");
        Probability = probability;
        RegisterComponents();
    }

    /// <summary>The probability of dropping a feature.</summary>
    public double Probability { get; }

    /// <summary>Drops features of <paramref name="input"/> <c>[B, T, F]</c> with a <c>[B, 1, F]</c> mask, scaling the kept
    /// ones by <c>1 / (1 - p)</c> so that the expected activation is unchanged.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!training || Probability == 0) return input.alias();
        if (input.dim() != 3)
            throw new ArgumentException($"LockedDropout expects [batch, time, features], got [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = NewDisposeScope();
        var mask = empty([input.shape[0], 1, input.shape[2]], input.dtype, input.device).bernoulli_(1 - Probability).div_(1 - Probability);
        return (input * mask).MoveToOuterDisposeScope();
    }
}
