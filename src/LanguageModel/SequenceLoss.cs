using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Weighted cross-entropy over a sequence of logits, with the semantics of TensorFlow's
/// <c>tf.contrib.seq2seq.sequence_loss</c>.
/// </summary>
public static class SequenceLoss
{
    /// <summary>
    /// Computes <c>weight × cross-entropy</c> (natural log) for every <c>[batch, time]</c> element and reduces it.
    /// </summary>
    /// <param name="logits">Unnormalised scores, <c>[B, T, V]</c>, floating point.</param>
    /// <param name="targets">Target ids, <c>[B, T]</c>, int64, each in <c>[0, V)</c>.</param>
    /// <param name="weights">Per-element weights, <c>[B, T]</c>; ones when omitted.</param>
    /// <param name="averageAcrossTimesteps">Divide the weighted sum along time by the sum of the weights along time.</param>
    /// <param name="averageAcrossBatch">Divide the weighted sum along the batch by the sum of the weights along the batch.</param>
    /// <returns>
    /// A tensor on the logits' device: <c>[B, T]</c> when neither average is asked for, <c>[T]</c> with only the batch
    /// average, <c>[B]</c> with only the time average, a scalar with both. Where a sum of weights is 0 the result is 0.
    /// The PTB tutorial's cost (averaged over the batch, summed over time) is the <c>[T]</c> result summed.
    /// </returns>
    /// <exception cref="ArgumentException">A rank, shape or element type does not fit; the message gives the shapes.</exception>
    public static Tensor Compute(Tensor logits, Tensor targets, Tensor? weights = null,
                                 bool averageAcrossTimesteps = false, bool averageAcrossBatch = true)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        Validate(logits, targets, weights);

        long batch = logits.shape[0], time = logits.shape[1], classes = logits.shape[2];
        using var scope = NewDisposeScope();
        // [B, T, V] -> [B*T, V] -> per-element cross-entropy [B*T] -> [B, T]
        var crossEntropy = nn.functional.cross_entropy(logits.reshape(batch * time, classes), targets.reshape(batch * time),
                                                       reduction: nn.Reduction.None).reshape(batch, time);
        var weight = weights?.to(logits.dtype, logits.device);
        var weighted = weight is null ? crossEntropy : crossEntropy * weight;

        Tensor result;
        if (averageAcrossTimesteps && averageAcrossBatch)
            result = DivideNoNan(weighted.sum(), weight?.sum() ?? torch.tensor((double)(batch * time), logits.dtype, logits.device));
        else if (averageAcrossTimesteps)
            result = DivideNoNan(weighted.sum(dim: 1), weight?.sum(dim: 1) ?? torch.full(batch, (double)time, logits.dtype, logits.device));
        else if (averageAcrossBatch)
            result = DivideNoNan(weighted.sum(dim: 0), weight?.sum(dim: 0) ?? torch.full(time, (double)batch, logits.dtype, logits.device));
        else
            result = weighted;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary><c>numerator / denominator</c>, and 0 wherever the denominator is 0 (TensorFlow's <c>div_no_nan</c>).</summary>
    private static Tensor DivideNoNan(Tensor numerator, Tensor denominator)
    {
        var isZero = denominator.eq(0);
        // Dividing by 1 where the denominator is 0 keeps the gradient finite; the result there is then replaced by 0.
        var quotient = numerator / torch.where(isZero, torch.ones_like(denominator), denominator);
        return torch.where(isZero, torch.zeros_like(quotient), quotient);
    }

    private static void Validate(Tensor logits, Tensor targets, Tensor? weights)
    {
        string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
        if (logits.dim() != 3)
            throw new ArgumentException($"logits must be [batch, time, vocabulary] (rank 3), but has shape {Shape(logits)}.", nameof(logits));
        if (!logits.is_floating_point())
            throw new ArgumentException($"logits must be floating point, but are {logits.dtype}.", nameof(logits));
        if (targets.dim() != 2 || targets.shape[0] != logits.shape[0] || targets.shape[1] != logits.shape[1])
            throw new ArgumentException($"targets must be [batch, time] = [{logits.shape[0]}, {logits.shape[1]}] to match logits {Shape(logits)}, but have shape {Shape(targets)}.", nameof(targets));
        if (targets.dtype != ScalarType.Int64)
            throw new ArgumentException($"targets must be int64 ids, but are {targets.dtype}.", nameof(targets));
        if (weights is not null && (weights.dim() != 2 || weights.shape[0] != logits.shape[0] || weights.shape[1] != logits.shape[1]))
            throw new ArgumentException($"weights must be [batch, time] = [{logits.shape[0]}, {logits.shape[1]}] to match logits {Shape(logits)}, but have shape {Shape(weights)}.", nameof(weights));
    }
}
