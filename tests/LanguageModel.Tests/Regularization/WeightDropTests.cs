using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class WeightDropTests
{
    private static readonly PtbConfig Config = TinyModels.Config with { HiddenSize = 32, WeightDrop = 0.5 };

    private static Tensor[] RecurrentWeights(PtbLanguageModel model) =>
        model.named_parameters().Where(p => p.name.Contains("weight_hh")).Select(p => p.parameter.detach().clone()).ToArray();

    [Fact]
    public void Masks_only_the_hidden_to_hidden_matrices_and_restores_them_exactly()
    {
        using var model = TinyModels.Model(config: Config);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using var weightDrop = new WeightDrop(model, 0.5);

        weightDrop.Apply();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains("weight_hh"))
            {
                using var ratio = parameter / before[name];
                var values = ratio.data<float>().ToArray();
                values.Should().OnlyContain(v => Math.Abs(v) < 1e-6 || Math.Abs(v - 2) < 1e-5, "kept weights are scaled by 1 / (1 - p)");
                values.Count(v => Math.Abs(v) < 1e-6).Should().BeInRange(values.Length * 35 / 100, values.Length * 65 / 100);
            }
            else
            {
                parameter.SameValues(before[name]).Should().BeTrue($"{name} is not recurrent");
            }
        }
        weightDrop.IsApplied.Should().BeTrue();
        weightDrop.Restore();

        weightDrop.IsApplied.Should().BeFalse();
        foreach (var (name, parameter) in model.named_parameters())
            parameter.SameValues(before[name]).Should().BeTrue($"{name} must be back to its raw value");
    }

    [Fact]
    public void The_gradient_reaches_the_raw_weights_through_the_mask()
    {
        using var model = TinyModels.Model(config: Config);
        var raw = RecurrentWeights(model);
        using var ids = tensor(new long[] { 3, 4, 5, 6, 7, 8, 0, 2, 1, 3 }, [2, 5]);
        using var targets = tensor(new long[] { 4, 5, 6, 7, 8, 0, 2, 1, 3, 4 }, [2, 5]);
        using var weightDrop = new WeightDrop(model, 0.5);

        weightDrop.Apply();
        var masks = model.named_parameters().Where(p => p.name.Contains("weight_hh")).Select((p, i) => p.parameter / raw[i]).ToArray();
        using (var state = model.ZeroState(2))
        {
            var (logits, next) = model.call(ids, state);
            next.Dispose();
            SequenceLoss.Compute(logits, targets).sum().backward();
        }
        var gradOfMasked = model.named_parameters().Where(p => p.name.Contains("weight_hh")).Select(p => p.parameter.grad!.clone()).ToArray();
        weightDrop.Restore();

        // d loss / d W = d loss / d (W * m) * m: zero where the weight was dropped, doubled where kept at p = 0.5.
        var grads = model.named_parameters().Where(p => p.name.Contains("weight_hh")).Select(p => p.parameter.grad!).ToArray();
        for (int i = 0; i < grads.Length; i++)
        {
            grads[i].allclose(gradOfMasked[i] * masks[i], rtol: 1e-5, atol: 1e-7).Should().BeTrue();
            gradOfMasked[i].abs().sum().item<float>().Should().BeGreaterThan(0);
        }
    }

    [Fact]
    public void The_mask_holds_for_every_step_of_a_window()
    {
        // The masked weights stay in place for the whole forward pass, so a window equals the step-by-step run with
        // the same masked weights (Step reads the LSTM's weights as they are).
        using var model = TinyModels.Model(config: Config);
        model.eval();
        using var ids = tensor(new long[] { 3, 4, 5, 6, 7 }, [1, 5]);
        using var weightDrop = new WeightDrop(model, 0.5);
        weightDrop.Apply();
        using var noGrad = no_grad();
        using var start = model.ZeroState(1);
        var (window, windowState) = model.call(ids, start);
        var (last, state) = TinyModels.StepThrough(model, ids);
        weightDrop.Restore();

        last.allclose(window[.., 4], rtol: 1e-4, atol: 1e-6).Should().BeTrue();
        var (rawWindow, rawState) = model.call(ids, start);
        rawWindow.allclose(window, rtol: 1e-3, atol: 1e-5).Should().BeFalse("dropping half the recurrent weights changes the output");
        foreach (var d in new IDisposable[] { state, last, window, windowState, rawWindow, rawState }) d.Dispose();
    }

    [Fact]
    public void Training_with_weight_drop_leaves_raw_weights_that_evaluate_deterministically()
    {
        var data = MarkovCorpusData.Corpus with { Train = MarkovCorpusData.Corpus.Train[..3_000], Valid = MarkovCorpusData.Corpus.Valid[..600] };
        manual_seed(4);
        var vocabularyModel = new PtbLanguageModel(Config with { NumSteps = 10, BatchSize = 10 }, data.Vocabulary.Count, CPU);
        using var trainer = new PtbTrainer(vocabularyModel);

        trainer.TrainEpoch(data.Train, 1.0);

        // No exact zeros left behind: the masks came off before every SGD step.
        foreach (var weight in RecurrentWeights(vocabularyModel))
            weight.eq(0).sum().item<long>().Should().Be(0);
        double first = PtbTrainer.Evaluate(vocabularyModel, data.Valid, 10, 10).Perplexity;
        double second = PtbTrainer.Evaluate(vocabularyModel, data.Valid, 10, 10).Perplexity;
        second.Should().Be(first);
        first.Should().BeLessThan(data.Vocabulary.Count);
        vocabularyModel.Dispose();
    }
}
