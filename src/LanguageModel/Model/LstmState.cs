using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// The recurrent state of a stacked LSTM: hidden and cell tensors, each <c>[numLayers, batch, hidden]</c>.
/// The caller owns it: pass it into the model, take the next one out, dispose the old one. In a model whose layers
/// differ in width (a tied AWD-LSTM's last layer is as wide as the embedding) the tensors are as wide as the widest
/// layer and a narrower layer's state fills the leading columns.
/// </summary>
/// <param name="Hidden">The hidden state h, <c>[numLayers, batch, hidden]</c>.</param>
/// <param name="Cell">The cell state c, <c>[numLayers, batch, hidden]</c>.</param>
public sealed record LstmState(Tensor Hidden, Tensor Cell) : IDisposable
{
    /// <summary>
    /// A copy cut off from the autograd graph (truncated backpropagation) and taken out of every dispose scope, so
    /// that it outlives the step that made it and is freed exactly when its owner disposes it.
    /// </summary>
    public LstmState Detach() => new(Hidden.detach().DetachFromDisposeScope(), Cell.detach().DetachFromDisposeScope());

    /// <summary>Releases both tensors.</summary>
    public void Dispose()
    {
        Hidden.Dispose();
        Cell.Dispose();
    }
}
