namespace LanguageModel;

/// <summary>
/// A learning-rate schedule laid over wall-clock time instead of epochs, so that a run of a fixed length ends with
/// its learning rate decayed: the full rate for the first <see cref="FullRateFraction"/> of the budget, then a
/// geometric decay to <see cref="FinalRateRatio"/> times it at the end of the budget. TensorFlow's presets hold the
/// rate for a few epochs and then multiply it by a constant each epoch; this is the same shape, stretched to the time
/// the user has. Because it follows the clock, two runs with the same seed no longer give the same numbers.
/// </summary>
/// <param name="Budget">The wall-clock time for training and validation.</param>
/// <param name="BaseRate">The learning rate at the start.</param>
/// <param name="FullRateFraction">The share of the budget at the full rate, in <c>[0, 1)</c>.</param>
/// <param name="FinalRateRatio">The rate at the end of the budget as a fraction of <paramref name="BaseRate"/>, in <c>(0, 1]</c>.</param>
public sealed record TimeBudgetSchedule(TimeSpan Budget, double BaseRate, double FullRateFraction, double FinalRateRatio)
{
    /// <summary>The schedule of <paramref name="config"/>, which must have a <see cref="PtbConfig.TimeBudget"/>.</summary>
    /// <exception cref="ArgumentException">The configuration has no time budget.</exception>
    public static TimeBudgetSchedule For(PtbConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.TimeBudget is not { } budget)
            throw new ArgumentException($"Configuration '{config.Name}' has no {nameof(PtbConfig.TimeBudget)}.", nameof(config));
        return new TimeBudgetSchedule(budget, config.LearningRate, config.BudgetFullRateFraction, config.BudgetFinalRateRatio);
    }

    /// <summary>The learning rate after <paramref name="elapsed"/> of the budget (the final rate from the end of the budget on).</summary>
    public double LearningRateAt(TimeSpan elapsed)
    {
        double progress = Math.Clamp(elapsed / Budget, 0, 1);
        if (progress <= FullRateFraction) return BaseRate;
        return BaseRate * Math.Pow(FinalRateRatio, (progress - FullRateFraction) / (1 - FullRateFraction));
    }
}
