using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// DropConnect on the hidden-to-hidden matrices of the LSTM (Wan et al. 2013; Merity et al. 2017, AWD-LSTM): for each
/// training window, every recurrent weight is dropped with probability p (the rest scaled by <c>1 / (1 - p)</c>), the
/// same mask at every time step. The fused LSTM kernel owns its weights, so the mask is applied to them in place
/// around the step: <see cref="Apply"/> before the forward pass, <see cref="Restore"/> after the backward pass puts
/// the raw weights back and carries the gradient through the mask (the chain rule of <c>W ⊙ m</c>: <c>∂L/∂W = ∂L/∂(W ⊙ m) ⊙ m</c>).
/// The optimizer therefore updates the raw weights, which are also what evaluation and checkpoints use.
/// </summary>
public sealed class WeightDrop : IDisposable
{
    private readonly Parameter[] weights;
    private readonly Tensor?[] raw;
    private readonly Tensor?[] masks;

    /// <summary>Weight drop on <paramref name="model"/>'s hidden-to-hidden matrices.</summary>
    /// <param name="model">The model whose recurrent weights are masked.</param>
    /// <param name="probability">The probability of dropping a weight, in <c>[0, 1)</c>.</param>
    public WeightDrop(PtbLanguageModel model, double probability)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The weight-drop probability must be in [0, 1).");
        Probability = probability;
        weights = [.. model.RecurrentWeights];
        raw = new Tensor?[weights.Length];
        masks = new Tensor?[weights.Length];
    }

    /// <summary>The probability of dropping a weight.</summary>
    public double Probability { get; }

    /// <summary>Whether the weights are masked now (between <see cref="Apply"/> and <see cref="Restore"/>).</summary>
    public bool IsApplied => raw[0] is not null;

    /// <summary>Draws fresh masks and multiplies the recurrent weights by them, keeping the raw weights aside.</summary>
    /// <exception cref="InvalidOperationException">The weights are already masked.</exception>
    public void Apply()
    {
        if (IsApplied) throw new InvalidOperationException("The weights are already masked; call Restore first.");
        using var noGrad = no_grad();
        for (int i = 0; i < weights.Length; i++)
        {
            raw[i] = weights[i].detach().clone().DetachFromDisposeScope();
            masks[i] = empty_like(weights[i]).bernoulli_(1 - Probability).div_(1 - Probability).DetachFromDisposeScope();
            weights[i].mul_(masks[i]!);
        }
    }

    /// <summary>Puts the raw weights back and multiplies their gradients (if any) by the masks. Does nothing when not applied.</summary>
    public void Restore()
    {
        if (!IsApplied) return;
        using var noGrad = no_grad();
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i].grad?.mul_(masks[i]!);
            weights[i].copy_(raw[i]!);
            raw[i]!.Dispose();
            masks[i]!.Dispose();
            raw[i] = masks[i] = null;
        }
    }

    /// <summary>Restores the raw weights if they are still masked.</summary>
    public void Dispose() => Restore();
}
