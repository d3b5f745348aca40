using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class RegularizedPresetTests
{
    [Theory]
    [InlineData("small")]
    [InlineData("medium")]
    [InlineData("large")]
    [InlineData("test")]
    public void TensorFlows_presets_use_none_of_the_techniques(string name)
    {
        var config = PtbConfig.FromName(name);

        config.Should().BeEquivalentTo(new
        {
            EmbeddingSize = (int?)null, TieWeights = false, LockedDropout = false, InputDropout = (double?)null, HiddenDropout = (double?)null,
            OutputDropout = (double?)null, EmbeddingDropout = 0.0, WeightDrop = 0.0, ActivationRegularization = 0.0,
            TemporalActivationRegularization = 0.0, AveragedSgd = false, TimeBudget = (TimeSpan?)null, RunsLayerByLayer = false,
        });
    }

    [Fact]
    public void The_awd_lstm_preset_has_the_papers_24_million_parameters()
    {
        // 3 layers of 1150 units between 400-dimensional tied embeddings: 24M parameters in the paper's table for PTB.
        PtbConfig.AwdLstm.Validate();
        using var model = new PtbLanguageModel(PtbConfig.AwdLstm, 10_000, CPU);
        long count = model.parameters().Sum(p => p.numel());

        count.Should().Be(10_000 * 400                       // tied embedding and head
                          + 4 * 1150 * (400 + 1150 + 2)      // layer 1 (weights and both biases)
                          + 4 * 1150 * (1150 + 1150 + 2)     // layer 2
                          + 4 * 400 * (1150 + 400 + 2)       // layer 3, as wide as the embedding
                          + 10_000);                          // head bias
        (count / 1e6).Should().BeApproximately(24, 0.5);
    }

    [Fact]
    public void The_cpu_budget_preset_is_mediums_size_tied_with_a_budget_under_an_hour()
    {
        var config = PtbConfig.FromName("CpuBudget").Validate();

        config.HiddenSize.Should().Be(PtbConfig.Medium.HiddenSize);
        config.TieWeights.Should().BeTrue();
        config.TimeBudget.Should().BeLessThan(TimeSpan.FromMinutes(60));
    }

    [Theory]
    [InlineData("cpubudget")]
    [InlineData("awd-lstm")]
    public void Regularized_models_survive_a_checkpoint_round_trip(string preset)
    {
        var config = PtbConfig.FromName(preset) with { HiddenSize = 12, EmbeddingSize = preset == "awd-lstm" ? 6 : null, NumSteps = 4, BatchSize = 2 };
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "model.ckpt");
        using var model = TinyModels.Model(config: config);
        model.eval();

        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        using var loaded = Checkpoint.Load(path, CPU);

        loaded.Model.Config.Should().Be(config);
        loaded.Model.eval();
        using var ids = tensor(new long[] { 3, 4, 5, 6 }, [1, 4]);
        using var state = model.ZeroState(1);
        var (expected, s1) = model.call(ids, state);
        var (actual, s2) = loaded.Model.call(ids, state);
        actual.SameValues(expected).Should().BeTrue();
        foreach (var d in new IDisposable[] { expected, actual, s1, s2 }) d.Dispose();

        string exported = Path.Combine(dir.Path, "model.safetensors");
        Checkpoint.ExportSafetensors(exported, loaded.Model, TinyModels.Vocabulary);
        using var imported = Checkpoint.ImportSafetensors(exported, "cpu");
        imported.Model.named_parameters().Select(p => p.name).Should().Equal(Checkpoint.WeightNames(config));
    }

    [Fact]
    public void Layer_by_layer_models_keep_the_step_function_equal_to_the_window()
    {
        var config = PtbConfig.AwdLstm with { HiddenSize = 10, EmbeddingSize = 4, NumLayers = 3 };
        using var model = TinyModels.Model(config: config);
        model.eval();
        using var noGrad = no_grad();
        using var ids = tensor(new long[] { 3, 4, 5, 6, 7 }, [1, 5]);
        using var start = model.ZeroState(1);
        var (window, windowState) = model.call(ids, start);
        var (last, state) = TinyModels.StepThrough(model, ids);

        last.allclose(window[.., 4], rtol: 1e-4, atol: 1e-6).Should().BeTrue();
        state.Hidden.allclose(windowState.Hidden, rtol: 1e-4, atol: 1e-6).Should().BeTrue();
        state.Hidden.shape.Should().Equal(3, 1, 10);
        foreach (var d in new IDisposable[] { state, last, window, windowState }) d.Dispose();
    }
}
