using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// The softmax head of a tied model (Inan et al. 2016; Press &amp; Wolf 2017): logits = x · Eᵀ + b, where E is the
/// embedding matrix. Only the bias is registered here, so the shared matrix is one parameter of the model, listed
/// once by <c>parameters()</c>, updated once by SGD and counted once by gradient clipping.
/// </summary>
internal sealed class TiedSoftmax : nn.Module<Tensor, Tensor>
{
    // A delegate rather than a field holding the embedding: a module field would register the matrix a second time.
    private readonly Func<Tensor> sharedWeight;
    private readonly Parameter bias;

    public TiedSoftmax(Func<Tensor> sharedWeight, int vocabularySize) : base(nameof(TiedSoftmax))
    {
        this.sharedWeight = sharedWeight;
        bias = new Parameter(zeros(vocabularySize));
        RegisterComponents();
    }

    /// <summary>The shared <c>[V, E]</c> matrix (the embedding's).</summary>
    internal Tensor Weight => sharedWeight();

    /// <summary>The head's own parameter: one bias per word.</summary>
    internal Parameter Bias => bias;

    public override Tensor forward(Tensor input) => nn.functional.linear(input, sharedWeight(), bias);
}
