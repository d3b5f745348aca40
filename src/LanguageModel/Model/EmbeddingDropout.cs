using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Embedding (word-type) dropout (Gal &amp; Ghahramani 2016; used by AWD-LSTM): during training, whole rows of the
/// embedding matrix are dropped, so every occurrence of a dropped word in the window becomes a zero vector and the
/// model cannot lean on any single word's embedding. Equivalent to masking the matrix's rows, without copying it.
/// </summary>
public static class EmbeddingDropout
{
    /// <summary>Drops word types from already embedded ids.</summary>
    /// <param name="embedded">The embedding of <paramref name="ids"/>, <c>[B, T, E]</c>.</param>
    /// <param name="ids">The word ids, <c>[B, T]</c>, int64, on <paramref name="embedded"/>'s device.</param>
    /// <param name="vocabularySize">The number of rows of the embedding matrix.</param>
    /// <param name="probability">The probability of dropping a word type, in <c>[0, 1)</c>; kept rows are scaled by <c>1 / (1 - p)</c>.</param>
    /// <returns><paramref name="embedded"/> with the dropped words' vectors zeroed and the others scaled.</returns>
    public static Tensor Apply(Tensor embedded, Tensor ids, int vocabularySize, double probability)
    {
        ArgumentNullException.ThrowIfNull(embedded);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The dropout probability must be in [0, 1).");
        if (probability == 0) return embedded.alias();
        using var scope = NewDisposeScope();
        var rowScale = empty(vocabularySize, embedded.dtype, embedded.device).bernoulli_(1 - probability).div_(1 - probability);
        return (embedded * rowScale[ids].unsqueeze(-1)).MoveToOuterDisposeScope();
    }
}
