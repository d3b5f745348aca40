using static TorchSharp.torch;

namespace LanguageModel.Tests;

/// <summary>
/// Expected values were computed by hand (log-sum-exp minus the target's logit, in double precision) for the
/// logits below; see the comments for each reduction.
/// </summary>
public class SequenceLossTests
{
    private static Tensor Logits(bool requiresGrad = false) => tensor(new float[]
    {
        1.0f, 2.0f, 0.5f, -1.0f,   0.0f, 0.0f, 0.0f, 0.0f,   3.0f, -2.0f, 1.0f, 0.5f,
        -0.5f, 1.5f, 2.5f, 0.0f,   2.0f, 1.0f, -1.0f, 0.25f, 0.1f, 0.2f, 0.3f, 0.4f,
    }, [2, 3, 4], requires_grad: requiresGrad);

    private static Tensor Targets() => tensor(new long[] { 1, 3, 0, 2, 0, 3 }, [2, 3]);

    // Fractional and zero weights; the second row has no weight at all.
    private static Tensor Weights() => tensor(new float[] { 1.0f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f }, [2, 3]);

    private static readonly double[] CrossEntropy =
        [0.495181898085856, 1.3862943611198906, 0.20225344767935205, 0.40529943316029815, 0.4646395513879704, 1.242535529455163];

    private static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();

    [Fact]
    public void No_average_gives_the_per_element_cross_entropy()
    {
        using var loss = SequenceLoss.Compute(Logits(), Targets(), averageAcrossTimesteps: false, averageAcrossBatch: false);

        loss.shape.Should().Equal(2, 3);
        Values(loss).Should().Equal(CrossEntropy, (a, e) => Math.Abs(a - e) < 1e-6);
    }

    [Fact]
    public void Batch_average_gives_one_value_per_timestep()
    {
        using var loss = SequenceLoss.Compute(Logits(), Targets());

        loss.shape.Should().Equal(3);
        Values(loss).Should().Equal([0.4502406656230771, 0.9254669562539305, 0.7223944885672575], (a, e) => Math.Abs(a - e) < 1e-6);
    }

    [Fact]
    public void Time_average_gives_one_value_per_sequence()
    {
        using var loss = SequenceLoss.Compute(Logits(), Targets(), averageAcrossTimesteps: true, averageAcrossBatch: false);

        loss.shape.Should().Equal(2);
        Values(loss).Should().Equal([0.6945765689616996, 0.7041581713344772], (a, e) => Math.Abs(a - e) < 1e-6);
    }

    [Fact]
    public void Both_averages_give_a_scalar()
    {
        using var loss = SequenceLoss.Compute(Logits(), Targets(), averageAcrossTimesteps: true);

        loss.dim().Should().Be(0);
        loss.item<float>().Should().BeApproximately(0.6993673701480884f, 1e-6f);
    }

    [Fact]
    public void Tutorial_cost_is_the_batch_average_summed_over_time()
    {
        using var cost = SequenceLoss.Compute(Logits(), Targets()).sum();

        cost.item<float>().Should().BeApproximately((float)(CrossEntropy.Sum() / 2), 1e-5f);
    }

    [Fact]
    public void Fractional_and_zero_weights_scale_and_zero_sums_give_zero()
    {
        var weights = Weights();

        Values(SequenceLoss.Compute(Logits(), Targets(), weights, false, false))
            .Should().Equal([0.495181898085856, 0.6931471805599453, 0, 0, 0, 0], (a, e) => Math.Abs(a - e) < 1e-6);
        // per time step: sum(w * ce) / sum(w); step 2 has weight 0 everywhere -> 0
        Values(SequenceLoss.Compute(Logits(), Targets(), weights, false, true))
            .Should().Equal([0.495181898085856, 1.3862943611198906, 0], (a, e) => Math.Abs(a - e) < 1e-6);
        // per sequence: row 1 has weight 0 everywhere -> 0
        Values(SequenceLoss.Compute(Logits(), Targets(), weights, true, false))
            .Should().Equal([0.7922193857638676, 0], (a, e) => Math.Abs(a - e) < 1e-6);
        SequenceLoss.Compute(Logits(), Targets(), weights, true, true).item<float>()
            .Should().BeApproximately(0.7922193857638676f, 1e-6f);
    }

    [Fact]
    public void All_zero_weights_give_zero_and_a_finite_zero_gradient()
    {
        using var logits = Logits(requiresGrad: true);
        using var loss = SequenceLoss.Compute(logits, Targets(), zeros(2, 3), averageAcrossTimesteps: true);

        loss.item<float>().Should().Be(0);
        loss.backward();
        Values(logits.grad!).Should().OnlyContain(g => g == 0);
    }

    [Fact]
    public void Gradient_is_softmax_minus_one_hot_scaled_by_weight_over_batch()
    {
        using var logits = Logits(requiresGrad: true);
        using var cost = SequenceLoss.Compute(logits, Targets()).sum();

        cost.backward();

        // d/dlogits of ce(b,t)/B is (softmax - onehot)/B; element [0,0] with target 1:
        double[] row = [1.0, 2.0, 0.5, -1.0];
        double z = row.Sum(Math.Exp);
        double[] expected = row.Select((v, i) => (Math.Exp(v) / z - (i == 1 ? 1 : 0)) / 2).ToArray();
        Values(logits.grad![0, 0]).Should().Equal(expected, (a, e) => Math.Abs(a - e) < 1e-6);
    }

    [Fact]
    public void Rejects_logits_of_the_wrong_rank_with_the_shape()
    {
        var act = () => SequenceLoss.Compute(zeros(2, 4), Targets());

        act.Should().Throw<ArgumentException>().WithMessage("*rank 3*[2, 4]*").WithParameterName("logits");
    }

    [Fact]
    public void Rejects_mismatched_targets_with_both_shapes()
    {
        var act = () => SequenceLoss.Compute(Logits(), zeros(3, 2, dtype: ScalarType.Int64));

        act.Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[2, 3, 4]*[3, 2]*").WithParameterName("targets");
    }

    [Fact]
    public void Rejects_mismatched_weights_with_both_shapes()
    {
        var act = () => SequenceLoss.Compute(Logits(), Targets(), ones(2, 4));

        act.Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[2, 4]*").WithParameterName("weights");
    }

    [Fact]
    public void Rejects_non_integer_targets()
    {
        var act = () => SequenceLoss.Compute(Logits(), zeros(2, 3));

        act.Should().Throw<ArgumentException>().WithMessage("*int64*Float32*");
    }
}
