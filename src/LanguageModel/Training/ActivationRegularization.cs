using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Activation regularisation (AR) and temporal activation regularisation (TAR) of Merity et al. (2017,
/// "Revisiting Activation Regularization for Language RNNs"; used by AWD-LSTM): an L2 penalty on the last layer's
/// (dropped-out) outputs, and one on how much its outputs change from one time step to the next.
/// </summary>
public static class ActivationRegularization
{
    /// <summary>
    /// <c>T · (α · mean(d²) + β · mean((h_t − h_{t−1})²))</c>, where d is the dropped-out output and h the output before
    /// dropout. The paper adds the two means to a cost averaged over time steps; <see cref="SequenceLoss"/> sums over
    /// the T steps instead, so the penalty is multiplied by T to keep the paper's balance.
    /// </summary>
    /// <param name="lastOutput">The last LSTM layer's output before dropout, <c>[B, T, H]</c>.</param>
    /// <param name="droppedOutput">The same after the output dropout, <c>[B, T, H]</c>.</param>
    /// <param name="alpha">AR's weight α, 0 for none.</param>
    /// <param name="beta">TAR's weight β, 0 for none.</param>
    /// <returns>A scalar tensor (zero when both weights are 0).</returns>
    public static Tensor Penalty(Tensor lastOutput, Tensor droppedOutput, double alpha, double beta)
    {
        ArgumentNullException.ThrowIfNull(lastOutput);
        ArgumentNullException.ThrowIfNull(droppedOutput);
        if (lastOutput.dim() != 3 || !droppedOutput.shape.SequenceEqual(lastOutput.shape))
            throw new ArgumentException($"Expected two [batch, time, hidden] tensors of one shape, got [{string.Join(", ", lastOutput.shape)}] and [{string.Join(", ", droppedOutput.shape)}].");
        if (!(alpha >= 0) || !(beta >= 0))
            throw new ArgumentOutOfRangeException(alpha >= 0 ? nameof(beta) : nameof(alpha), "AR and TAR weights must be non-negative.");
        using var scope = NewDisposeScope();
        long steps = lastOutput.shape[1];
        var penalty = zeros([], lastOutput.dtype, lastOutput.device);
        if (alpha > 0) penalty = penalty + alpha * droppedOutput.pow(2).mean();
        if (beta > 0 && steps > 1)
        {
            var change = lastOutput.narrow(1, 1, steps - 1) - lastOutput.narrow(1, 0, steps - 1);
            penalty = penalty + beta * change.pow(2).mean();
        }
        return (penalty * steps).MoveToOuterDisposeScope();
    }
}
