using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Model;

[Collection(TorchCollection.Name)]
public class PtbLanguageModelTests
{
    private static readonly PtbConfig Tiny = PtbConfig.Small with { Name = "tiny", NumLayers = 2, HiddenSize = 8, NumSteps = 5, BatchSize = 3 };

    private static Tensor Ids(int batch, int steps, int vocabulary, int seed = 0) =>
        randint(vocabulary, [batch, steps], generator: new TorchSharp.torch.Generator((ulong)seed + 1), dtype: ScalarType.Int64);

    [Fact]
    public void Forward_gives_logits_over_the_vocabulary_and_a_state_per_layer()
    {
        using var model = new PtbLanguageModel(Tiny, vocabularySize: 11, CPU);
        using var state = model.ZeroState(3);
        using var _ = NewDisposeScope();

        var (logits, next) = model.call(Ids(3, 5, 11), state);

        logits.shape.Should().Equal(3, 5, 11);
        next.Hidden.shape.Should().Equal(2, 3, 8);
        next.Cell.shape.Should().Equal(2, 3, 8);
        state.Hidden.shape.Should().Equal(2, 3, 8);
        state.Hidden.abs().sum().item<float>().Should().Be(0);
    }

    [Fact]
    public void Initialisation_is_tensorflows_uniform_with_zero_lstm_biases()
    {
        manual_seed(3);
        using var model = new PtbLanguageModel(Tiny with { InitScale = 0.1, HiddenSize = 32 }, vocabularySize: 500, CPU);

        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        parameters.Keys.Should().BeEquivalentTo(
            "embedding.weight", "softmax.weight", "softmax.bias",
            "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1");
        foreach (var (name, p) in parameters)
        {
            float max = p.abs().max().item<float>();
            if (name.Contains(".bias_")) max.Should().Be(0, name);
            else max.Should().BeInRange(0.099f, 0.1f, name);
        }
        // The softmax bias is uniform too (TensorFlow creates it under the uniform initializer).
        parameters["softmax.bias"].std().item<float>().Should().BeApproximately(0.1f / MathF.Sqrt(3), 0.01f);
    }

    [Fact]
    public void Parameter_count_is_embedding_plus_lstm_plus_softmax()
    {
        using var model = new PtbLanguageModel(PtbConfig.Small, vocabularySize: 10_000, CPU);

        long count = model.parameters().Sum(p => p.numel());

        // V*H + layers * (4H*(H+H) + 2*4H) + H*V + V, with torch's two LSTM bias vectors
        const long V = 10_000, H = 200;
        count.Should().Be(V * H + 2 * (4 * H * 2 * H + 2 * 4 * H) + H * V + V);
    }

    [Fact]
    public void Carrying_the_state_equals_one_long_window()
    {
        using var model = new PtbLanguageModel(Tiny, vocabularySize: 11, CPU);
        model.eval();
        using var _ = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = Ids(3, 6, 11, seed: 5);

        var (whole, _) = model.call(ids, model.ZeroState(3));
        var (first, carried) = model.call(ids[.., ..4], model.ZeroState(3));
        var (second, _) = model.call(ids[.., 4..], carried);

        cat([first, second], 1).allclose(whole, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Single_steps_equal_the_fused_lstm_window()
    {
        using var model = new PtbLanguageModel(Tiny with { KeepProb = 0.5 }, vocabularySize: 11, CPU);
        model.eval();
        using var noGrad = no_grad();
        using var _ = NewDisposeScope();
        var ids = Ids(3, 6, 11, seed: 9);

        var (window, windowState) = model.call(ids, model.ZeroState(3));
        var state = model.ZeroState(3);
        var steps = new List<Tensor>();
        for (int t = 0; t < 6; t++)
        {
            var (logits, next) = model.Step(ids[.., t], state);
            steps.Add(logits);
            state = next;
        }

        stack(steps, 1).allclose(window, rtol: 1e-4, atol: 1e-5).Should().BeTrue();
        state.Hidden.allclose(windowState.Hidden, rtol: 1e-4, atol: 1e-6).Should().BeTrue();
        state.Cell.allclose(windowState.Cell, rtol: 1e-4, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Dropout_acts_in_training_mode_only()
    {
        using var model = new PtbLanguageModel(Tiny with { KeepProb = 0.5 }, vocabularySize: 11, CPU);
        using var _ = NewDisposeScope();
        var ids = Ids(3, 5, 11);

        model.train();
        var a = model.call(ids, model.ZeroState(3)).Logits;
        var b = model.call(ids, model.ZeroState(3)).Logits;
        model.eval();
        var c = model.call(ids, model.ZeroState(3)).Logits;
        var d = model.call(ids, model.ZeroState(3)).Logits;

        a.allclose(b).Should().BeFalse("two training passes draw different dropout masks");
        c.allclose(d).Should().BeTrue("evaluation is deterministic");
    }

    [Fact]
    public void Zero_state_lives_on_the_model_device()
    {
        using var model = new PtbLanguageModel(Tiny, vocabularySize: 11, CPU);
        using var state = model.ZeroState(4);

        state.Hidden.device.ToString().Should().Be(model.Device.ToString());
        state.Cell.shape.Should().Equal(2, 4, 8);
        model.Invoking(m => m.ZeroState(0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Rejects_an_invalid_config_by_property_name()
    {
        var act = () => new PtbLanguageModel(Tiny with { HiddenSize = 0 }, 11, CPU);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(PtbConfig.HiddenSize));
    }
}
