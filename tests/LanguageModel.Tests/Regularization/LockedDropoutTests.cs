using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class LockedDropoutTests
{
    [Fact]
    public void One_mask_per_sequence_is_shared_by_every_time_step()
    {
        manual_seed(3);
        using var dropout = new LockedDropout(0.5);
        dropout.train();
        using var input = ones(4, 7, 64);

        using var output = dropout.call(input);

        var values = output.data<float>().ToArray();
        for (int b = 0; b < 4; b++)
            for (int t = 1; t < 7; t++)
                for (int f = 0; f < 64; f++)
                    values[(b * 7 + t) * 64 + f].Should().Be(values[(b * 7) * 64 + f]);
        // Kept features are scaled by 1 / (1 - p); the sequences get different masks.
        values.Distinct().Should().BeEquivalentTo([0f, 2f]);
        using var firstStep = output.select(1, 0);
        firstStep[0].SameValues(firstStep[1]).Should().BeFalse();
        double dropped = values.Count(v => v == 0) / (double)values.Length;
        dropped.Should().BeInRange(0.35, 0.65);
    }

    [Fact]
    public void Eval_mode_and_probability_zero_leave_the_input_as_it_is()
    {
        using var input = randn(2, 3, 5);
        using var dropout = new LockedDropout(0.5);
        dropout.eval();
        using var evaluated = dropout.call(input);
        evaluated.SameValues(input).Should().BeTrue();

        using var none = new LockedDropout(0);
        none.train();
        using var unchanged = none.call(input);
        unchanged.SameValues(input).Should().BeTrue();
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Rejects_probabilities_outside_zero_to_one(double probability)
    {
        var act = () => new LockedDropout(probability);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("probability");
    }

    [Fact]
    public void A_model_with_locked_dropout_applies_it_only_in_training()
    {
        var config = TinyModels.Config with { LockedDropout = true, KeepProb = 0.5, EmbeddingDropout = 0.3 };
        using var model = TinyModels.Model(config: config);
        using var ids = tensor(new long[] { 3, 4, 5, 6, 7, 8 }, [2, 3]);
        using var state = model.ZeroState(2);

        model.eval();
        var (first, s1) = model.call(ids, state);
        var (second, s2) = model.call(ids, state);
        first.SameValues(second).Should().BeTrue("eval mode must be deterministic");

        model.train();
        var (third, s3) = model.call(ids, state);
        third.SameValues(first).Should().BeFalse("training mode drops activations");
        foreach (var d in new IDisposable[] { first, second, third, s1, s2, s3 }) d.Dispose();
    }
}
