namespace LanguageModel.Tests.Model;

public class PtbConfigTests
{
    public static TheoryData<PtbConfig, double[]> Presets => new()
    {
        // TensorFlow's ptb_word_lm.py: init_scale, lr, max_grad_norm, layers, num_steps, hidden, max_epoch, max_max_epoch, keep_prob, lr_decay, batch
        { PtbConfig.Small, [0.1, 1.0, 5, 2, 20, 200, 4, 13, 1.0, 0.5, 20] },
        { PtbConfig.Medium, [0.05, 1.0, 5, 2, 35, 650, 6, 39, 0.5, 0.8, 20] },
        { PtbConfig.Large, [0.04, 1.0, 10, 2, 35, 1500, 14, 55, 0.35, 1 / 1.15, 20] },
        { PtbConfig.Test, [0.1, 1.0, 1, 1, 2, 2, 1, 1, 1.0, 0.5, 20] },
    };

    [Theory]
    [MemberData(nameof(Presets))]
    public void Presets_hold_tensorflows_exact_values(PtbConfig config, double[] values)
    {
        double[] actual =
        [
            config.InitScale, config.LearningRate, config.MaxGradNorm, config.NumLayers, config.NumSteps, config.HiddenSize,
            config.MaxEpoch, config.MaxMaxEpoch, config.KeepProb, config.LrDecay, config.BatchSize,
        ];

        actual.Should().Equal(values);
        config.Validate().Should().BeSameAs(config);
    }

    [Fact]
    public void Learning_rate_decays_after_max_epoch()
    {
        var rates = Enumerable.Range(0, 13).Select(PtbConfig.Small.LearningRateAt).ToArray();

        // lr * 0.5 ^ max(i + 1 - 4, 0)
        rates.Should().Equal(1, 1, 1, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625, 0.001953125);
        PtbConfig.Large.LearningRateAt(14).Should().BeApproximately(1 / 1.15, 1e-15);
    }

    [Theory]
    [InlineData("small")]
    [InlineData("MEDIUM")]
    [InlineData("Large")]
    [InlineData("test")]
    public void FromName_is_case_insensitive(string name)
    {
        PtbConfig.FromName(name).Name.Should().Be(name.ToLowerInvariant());
    }

    [Fact]
    public void FromName_lists_the_presets_when_the_name_is_unknown()
    {
        var act = () => PtbConfig.FromName("huge");

        act.Should().Throw<ArgumentException>().WithMessage("*'huge'*small, medium, large, test*");
    }

    public static TheoryData<PtbConfig, string> Invalid => new()
    {
        { PtbConfig.Small with { InitScale = 0 }, nameof(PtbConfig.InitScale) },
        { PtbConfig.Small with { LearningRate = double.NaN }, nameof(PtbConfig.LearningRate) },
        { PtbConfig.Small with { MaxGradNorm = -1 }, nameof(PtbConfig.MaxGradNorm) },
        { PtbConfig.Small with { NumLayers = 0 }, nameof(PtbConfig.NumLayers) },
        { PtbConfig.Small with { NumSteps = 0 }, nameof(PtbConfig.NumSteps) },
        { PtbConfig.Small with { HiddenSize = -5 }, nameof(PtbConfig.HiddenSize) },
        { PtbConfig.Small with { MaxEpoch = 0 }, nameof(PtbConfig.MaxEpoch) },
        { PtbConfig.Small with { MaxMaxEpoch = 0 }, nameof(PtbConfig.MaxMaxEpoch) },
        { PtbConfig.Small with { KeepProb = 0 }, nameof(PtbConfig.KeepProb) },
        { PtbConfig.Small with { KeepProb = 1.5 }, nameof(PtbConfig.KeepProb) },
        { PtbConfig.Small with { LrDecay = 2 }, nameof(PtbConfig.LrDecay) },
        { PtbConfig.Small with { BatchSize = 0 }, nameof(PtbConfig.BatchSize) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_names_the_bad_property(PtbConfig config, string property)
    {
        var act = () => config.Validate();

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(property).WithMessage($"{property} must be*");
    }

    [Fact]
    public void Dropout_probability_is_one_minus_keep_prob()
    {
        PtbConfig.Large.DropoutProbability.Should().BeApproximately(0.65, 1e-12);
        PtbConfig.Small.DropoutProbability.Should().Be(0);
    }
}
