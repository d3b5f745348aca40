using System.Diagnostics;
using System.Text.Json;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class TimeBudgetTests
{
    [Fact]
    public void The_rate_holds_then_decays_geometrically_to_the_final_ratio_at_the_end()
    {
        var schedule = new TimeBudgetSchedule(TimeSpan.FromMinutes(60), 1.0, FullRateFraction: 0.25, FinalRateRatio: 0.01);

        schedule.LearningRateAt(TimeSpan.Zero).Should().Be(1.0);
        schedule.LearningRateAt(TimeSpan.FromMinutes(15)).Should().Be(1.0);
        schedule.LearningRateAt(TimeSpan.FromMinutes(37.5)).Should().BeApproximately(0.1, 1e-12); // halfway through the decay: sqrt(0.01)
        schedule.LearningRateAt(TimeSpan.FromMinutes(60)).Should().BeApproximately(0.01, 1e-12);
        schedule.LearningRateAt(TimeSpan.FromMinutes(90)).Should().BeApproximately(0.01, 1e-12);
    }

    [Fact]
    public void A_config_without_a_budget_has_no_schedule()
    {
        var act = () => TimeBudgetSchedule.For(PtbConfig.Small);
        act.Should().Throw<ArgumentException>().WithMessage("*'small'*TimeBudget*");
        TimeBudgetSchedule.For(PtbConfig.CpuBudget).Budget.Should().Be(TimeSpan.FromMinutes(58));
    }

    [Fact]
    public void A_run_stops_within_its_budget_with_its_rate_decayed()
    {
        var budget = TimeSpan.FromSeconds(6);
        var config = TinyModels.Config with { NumLayers = 1, HiddenSize = 16, NumSteps = 10, BatchSize = 10, MaxMaxEpoch = 1, TimeBudget = budget }; // the budget, not MaxMaxEpoch, ends the run
        var clock = Stopwatch.StartNew();

        var (result, model) = PtbTrainer.Run(MarkovCorpusData.Corpus, new TrainingOptions { Config = config, Device = "cpu", RunTest = false });
        clock.Stop();
        model.Dispose();

        clock.Elapsed.Should().BeGreaterThan(budget * 0.9).And.BeLessThan(budget * 1.05);
        result.Epochs.Should().HaveCountGreaterThan(2);
        // The reserve for the last validation is an estimate from earlier ones; on a busy machine one can run a little longer.
        result.Epochs[^1].ElapsedSeconds.Should().BeLessThanOrEqualTo(budget.TotalSeconds * 1.02);
        var rates = result.Epochs.Select(e => e.LearningRate).ToList();
        rates.Should().BeInDescendingOrder();
        rates[^1].Should().BeLessThan(config.LearningRate * Math.Pow(config.BudgetFinalRateRatio, 0.8), "the decay reached its end");
    }

    [Fact]
    public void The_command_line_takes_a_budget_and_names_a_bad_one()
    {
        using var dir = new TempDirectory();
        var bad = PtbCli.Run(dir.Path, null, "train", "--data", MarkovCorpusData.Directory, "--config", "test", "--time-budget", "ten minutes");
        bad.ExitCode.Should().Be(2);
        bad.Error.Trim().Should().Match("ptb: --time-budget: 'ten minutes' is not a duration*");

        string metrics = Path.Combine(dir.Path, "m.json");
        var run = PtbCli.Run(dir.Path, null, "train", "--data", MarkovCorpusData.Directory, "--config", "test", "--device", "cpu",
                             "--time-budget", "3s", "--metrics", metrics);
        run.ExitCode.Should().Be(0, run.Error);
        run.Output.Should().Contain("time budget 0.05 min");
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        json.RootElement.GetProperty("config").GetProperty("time_budget_minutes").GetDouble().Should().Be(0.05);
        json.RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("elapsed_seconds").GetDouble().Should().BeLessThanOrEqualTo(3 * 1.05);
    }
}
