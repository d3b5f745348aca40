using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class ActivationRegularizationTests
{
    [Fact]
    public void Penalty_is_the_papers_means_scaled_by_the_window_length()
    {
        // One sequence, three steps, two units.
        using var output = tensor(new float[] { 1, 2, 3, 5, 6, 4 }, [1, 3, 2]);
        using var dropped = tensor(new float[] { 2, 0, 0, 4, 6, 0 }, [1, 3, 2]);

        // AR: mean of squares of the dropped output = (4 + 16 + 36) / 6; TAR: mean of squared step changes = ((2^2 + 3^2) + (3^2 + 1^2)) / 4.
        double ar = (4 + 16 + 36) / 6.0;
        double tar = (4 + 9 + 9 + 1) / 4.0;
        using var both = ActivationRegularization.Penalty(output, dropped, alpha: 2, beta: 1);
        using var onlyAr = ActivationRegularization.Penalty(output, dropped, alpha: 2, beta: 0);
        using var onlyTar = ActivationRegularization.Penalty(output, dropped, alpha: 0, beta: 1);
        using var none = ActivationRegularization.Penalty(output, dropped, alpha: 0, beta: 0);

        both.item<float>().Should().BeApproximately((float)(3 * (2 * ar + tar)), 1e-4f);
        onlyAr.item<float>().Should().BeApproximately((float)(3 * 2 * ar), 1e-4f);
        onlyTar.item<float>().Should().BeApproximately((float)(3 * tar), 1e-4f);
        none.item<float>().Should().Be(0);
    }

    [Fact]
    public void Penalty_pushes_activations_down_through_the_model()
    {
        var config = TinyModels.Config with { ActivationRegularization = 2, TemporalActivationRegularization = 1 };
        using var model = TinyModels.Model(config: config);
        using var ids = tensor(new long[] { 3, 4, 5, 6, 7, 8 }, [2, 3]);
        using var state = model.ZeroState(2);
        var (logits, next, lastOutput, dropped) = model.Run(ids, state);

        using var penalty = ActivationRegularization.Penalty(lastOutput, dropped, config.ActivationRegularization, config.TemporalActivationRegularization);
        penalty.backward();

        penalty.item<float>().Should().BeGreaterThan(0);
        model.named_parameters().Where(p => p.name.StartsWith("lstm.")).Should().OnlyContain(p => !ReferenceEquals(p.parameter.grad, null));
        model.named_parameters().Single(p => p.name == "softmax.weight").parameter.grad.Should().BeNull("the penalty does not involve the head");
        foreach (var d in new IDisposable[] { logits, next, lastOutput, dropped }) d.Dispose();
    }

    [Fact]
    public void Rejects_mismatched_shapes()
    {
        using var a = zeros(1, 3, 2);
        using var b = zeros(1, 3, 4);
        var act = () => ActivationRegularization.Penalty(a, b, 1, 1);
        act.Should().Throw<ArgumentException>().WithMessage("*[1, 3, 2]*[1, 3, 4]*");
    }
}
