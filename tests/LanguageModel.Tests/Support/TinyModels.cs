using static TorchSharp.torch;

namespace LanguageModel.Tests.Support;

/// <summary>Small models and vocabularies for tests that need a model but not a trained one.</summary>
public static class TinyModels
{
    public static readonly PtbConfig Config = new("tiny", InitScale: 0.5, LearningRate: 1.0, MaxGradNorm: 5, NumLayers: 2, NumSteps: 5,
        HiddenSize: 8, MaxEpoch: 1, MaxMaxEpoch: 2, KeepProb: 1.0, LrDecay: 0.5, BatchSize: 4);

    public static Vocabulary Vocabulary { get; } = new(["the", "<unk>", "<eos>", "cat", "sat", "on", "mat", "a", "dog"]);

    public static PtbLanguageModel Model(int seed = 1, PtbConfig? config = null)
    {
        manual_seed(seed);
        return new PtbLanguageModel(config ?? Config, Vocabulary.Count, CPU);
    }

    /// <summary>Feeds a <c>[1, T]</c> window to <see cref="PtbLanguageModel.Step"/> one word at a time from a zero state;
    /// returns the last step's logits and the final state. Call it under <c>no_grad</c>.</summary>
    public static (Tensor Logits, LstmState State) StepThrough(PtbLanguageModel model, Tensor ids)
    {
        var state = model.ZeroState(1);
        Tensor last = zeros(1);
        for (int t = 0; t < ids.shape[1]; t++)
        {
            var (logits, next) = model.Step(ids[.., t], state);
            state.Dispose();
            last.Dispose();
            (last, state) = (logits, next);
        }
        return (last, state);
    }
}
