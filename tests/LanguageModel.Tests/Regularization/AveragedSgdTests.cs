using LanguageModel.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class AveragedSgdTests
{
    [Fact]
    public void The_average_is_the_mean_of_the_iterates_it_saw()
    {
        using var weight = new TorchSharp.Modules.Parameter(tensor(new float[] { 0, 0 }));
        using var averager = new ParameterAverager([weight]);
        using (no_grad())
        {
            weight.copy_(tensor(new float[] { 100, -100 })); // before the average starts: not counted
            foreach (var value in new[] { 1f, 2f, 6f })
            {
                weight.copy_(tensor(new[] { value, -value }));
                averager.Update();
            }
        }

        averager.Count.Should().Be(3);
        using (averager.SwapIn())
            weight.data<float>().ToArray().Should().Equal(3f, -3f);
        weight.data<float>().ToArray().Should().Equal(6f, -6f); // the live iterate is back

        averager.CommitToParameters();
        weight.data<float>().ToArray().Should().Equal(3f, -3f);
    }

    [Fact]
    public void The_trainer_averages_every_step_after_it_starts()
    {
        var data = MarkovCorpusData.Corpus.Train[..2_000];
        var config = TinyModels.Config with { NumSteps = 10, BatchSize = 10 };
        manual_seed(2);
        using var model = new PtbLanguageModel(config, MarkovCorpusData.Corpus.Vocabulary.Count, CPU);
        using var trainer = new PtbTrainer(model);
        trainer.TrainEpoch(data, 1.0);
        trainer.StartAveraging();

        var iterates = new List<Tensor>();
        var progress = new Progress(() => iterates.Add(model.parameters().First().detach().clone()));
        trainer.TrainEpoch(data, 1.0, progress: progress);

        int windows = PtbReader.EpochSize(data.Length, 10, 10);
        trainer.Averager!.Count.Should().Be(windows);
        using var expected = stack(iterates).mean([0]);
        using (trainer.Averager.SwapIn())
            model.parameters().First().allclose(expected, rtol: 1e-4, atol: 1e-6).Should().BeTrue();
    }

    [Theory]
    [InlineData(new double[] { 200, 150, 140, 130 }, 155, 2, true)]   // worse than the best (150) of the epochs before the last two
    [InlineData(new double[] { 200, 150, 140, 130 }, 135, 2, false)]  // worse than recent epochs only: not yet
    [InlineData(new double[] { 200, 150 }, 300, 2, false)]            // not enough history yet
    [InlineData(new double[] { 200, 150, 140 }, 145, 1, false)]       // better than the best of 200 and 150
    [InlineData(new double[] { 200, 150, 140 }, 151, 1, true)]
    public void Averaging_starts_when_validation_stops_improving(double[] earlier, double latest, int interval, bool expected)
    {
        PtbTrainer.ValidationStalled(earlier, latest, interval).Should().Be(expected);
    }

    /// <summary>Calls back synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action onWindow) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onWindow();
    }
}
