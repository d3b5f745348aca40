using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Training;

[Collection(TorchCollection.Name)]
public class PtbTrainerTests
{
    /// <summary>Small enough to train in about a second on the bundled corpus.</summary>
    private static readonly PtbConfig Markov = new("markov", InitScale: 0.1, LearningRate: 1.0, MaxGradNorm: 5, NumLayers: 1, NumSteps: 20,
        HiddenSize: 32, MaxEpoch: 3, MaxMaxEpoch: 5, KeepProb: 1.0, LrDecay: 0.5, BatchSize: 20);

    private static PtbCorpus Corpus => MarkovCorpusData.Corpus;

    private static PtbCorpus Slice(int train, int valid, int test) =>
        Corpus with { Train = Corpus.Train[..train], Valid = Corpus.Valid[..valid], Test = Corpus.Test[..test] };

    [Fact]
    public void Learns_the_bundled_markov_chain_close_to_its_true_perplexity()
    {
        var (result, model) = PtbTrainer.Run(Corpus, new TrainingOptions { Config = Markov, Seed = 7, Device = "cpu" });
        model.Dispose();

        double oracleValid = MarkovCorpusData.OraclePerplexity("valid");
        double oracleTest = MarkovCorpusData.OraclePerplexity("test");
        result.Epochs.Should().HaveCount(5);
        // A correct model and trainer approach the chain's own perplexity; going clearly below it would mean leaked targets.
        result.Epochs[^1].ValidPerplexity.Should().BeInRange(oracleValid * 0.98, oracleValid * 1.06);
        result.TestPerplexity!.Value.Should().BeInRange(oracleTest * 0.98, oracleTest * 1.06);
        // At the start the model knows nothing: perplexity near the vocabulary size.
        result.Epochs[0].TrainPerplexity.Should().BeGreaterThan(result.Epochs[^1].TrainPerplexity * 1.3);
    }

    [Fact]
    public void Same_seed_gives_the_same_numbers()
    {
        var data = Slice(8_000, 2_000, 500);
        var options = new TrainingOptions { Config = Markov with { KeepProb = 0.7, MaxMaxEpoch = 2 }, Seed = 11, Device = "cpu" };

        var (first, m1) = PtbTrainer.Run(data, options);
        var (second, m2) = PtbTrainer.Run(data, options);
        var (other, m3) = PtbTrainer.Run(data, options with { Seed = 12 });
        m1.Dispose(); m2.Dispose(); m3.Dispose();

        second.Epochs.Select(e => (e.TrainPerplexity, e.ValidPerplexity)).Should().Equal(first.Epochs.Select(e => (e.TrainPerplexity, e.ValidPerplexity)));
        second.TestPerplexity.Should().Be(first.TestPerplexity);
        other.Epochs[0].TrainPerplexity.Should().NotBe(first.Epochs[0].TrainPerplexity);
    }

    [Fact]
    public void Epochs_follow_the_learning_rate_schedule_and_stop_early_when_asked()
    {
        var data = Slice(4_000, 1_000, 200);
        var config = Markov with { MaxEpoch = 2, MaxMaxEpoch = 6, LearningRate = 0.8, LrDecay = 0.5 };

        var (result, model) = PtbTrainer.Run(data, new TrainingOptions { Config = config, Epochs = 4, Device = "cpu", RunTest = false });
        model.Dispose();

        result.Epochs.Select(e => e.Epoch).Should().Equal(1, 2, 3, 4);
        result.Epochs.Select(e => e.LearningRate).Should().Equal(0.8, 0.8, 0.4, 0.2);
        result.TestPerplexity.Should().BeNull();
        result.Epochs.Should().OnlyContain(e => e.WordsPerSecond > 0 && e.Seconds > 0);
    }

    [Fact]
    public void Gradient_clipping_bounds_every_update_by_learning_rate_times_max_norm()
    {
        manual_seed(1);
        var config = Markov with { MaxGradNorm = 0.01, LearningRate = 1.0 };
        using var model = new PtbLanguageModel(config, Corpus.Vocabulary.Count, CPU);
        using var trainer = new PtbTrainer(model);
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        int[] ids = Corpus.Train[..(20 * 20 * 3 + 20)]; // exactly three windows

        var pass = trainer.TrainEpoch(ids, learningRate: 1.0);

        double moved = Math.Sqrt(model.parameters().Zip(before).Sum(pair => (pair.First - pair.Second).pow(2).sum().item<float>()));
        pass.TimeSteps.Should().Be(3 * 20);
        // Each SGD step moves the parameters by lr * min(|g|, maxGradNorm) at most: three steps, 0.03 in all.
        moved.Should().BeGreaterThan(0.005).And.BeLessThanOrEqualTo(0.03 + 1e-6);
    }

    [Fact]
    public void Test_pass_with_long_windows_equals_one_step_windows()
    {
        manual_seed(2);
        using var model = new PtbLanguageModel(Markov, Corpus.Vocabulary.Count, CPU);
        int[] ids = Corpus.Test[..1_001]; // 1,000 predictions: 28 windows of 35 and a last one of 20

        var stepwise = PtbTrainer.Evaluate(model, ids, batchSize: 1, numSteps: 1);
        var windowed = PtbTrainer.Evaluate(model, ids, batchSize: 1, numSteps: 35);

        stepwise.TimeSteps.Should().Be(1_000);
        windowed.TimeSteps.Should().Be(1_000);
        windowed.Perplexity.Should().BeApproximately(stepwise.Perplexity, stepwise.Perplexity * 1e-5);
    }

    [Fact]
    public void Validation_in_joined_windows_and_logit_chunks_equals_the_window_by_window_pass()
    {
        manual_seed(3);
        int vocabulary = Corpus.Vocabulary.Count;
        using var model = new PtbLanguageModel(Markov, vocabulary, CPU);
        model.eval();
        int[] ids = Corpus.Valid[..4_200]; // 20 rows of 210 tokens: 10 windows of 20 steps

        // TensorFlow's pass spelled out: one window at a time, all its logits at once.
        double costs = 0;
        long steps = 0;
        using (no_grad())
        {
            var state = model.ZeroState(20);
            foreach (var batch in PtbReader.Batches(ids, 20, 20))
            {
                using (batch)
                {
                    var (logits, next) = model.call(batch.Input, state);
                    costs += SequenceLoss.Compute(logits, batch.Target).sum().item<float>();
                    steps += 20;
                    logits.Dispose();
                    state.Dispose();
                    state = next;
                }
            }
            state.Dispose();
        }
        double expected = Math.Exp(costs / steps);

        var reports = new List<TrainingProgress>();
        // Groups of 3 windows (60 steps) and a last group of one, logits 7 steps at a time (8 chunks of 7 and one of 4 per group).
        var joined = PtbTrainer.EvaluateInGroups(model, ids, 20, 20, groupSteps: 60, headChunkElements: 20L * vocabulary * 7,
                                                 progress: new SyncProgress<TrainingProgress>(reports.Add));
        var byDefault = PtbTrainer.Evaluate(model, ids, 20, 20);

        steps.Should().Be(200);
        joined.TimeSteps.Should().Be(200);
        joined.Perplexity.Should().BeApproximately(expected, expected * 1e-5);
        byDefault.Perplexity.Should().BeApproximately(expected, expected * 1e-5);
        reports.Select(r => (r.Window, r.WindowCount)).Should().Equal((3, 10), (6, 10), (9, 10), (10, 10));
    }

    [Fact]
    public void Evaluation_leaves_the_model_in_the_mode_it_found()
    {
        using var model = new PtbLanguageModel(Markov with { KeepProb = 0.5 }, Corpus.Vocabulary.Count, CPU);
        model.train();

        var first = PtbTrainer.Evaluate(model, Corpus.Valid[..2_000], 20, 20);
        var second = PtbTrainer.Evaluate(model, Corpus.Valid[..2_000], 20, 20);

        model.training.Should().BeTrue();
        second.Perplexity.Should().Be(first.Perplexity, "evaluation runs without dropout");
    }

    [Fact]
    public void Reports_progress_after_every_window_and_once_per_epoch()
    {
        var data = Slice(2_020, 820, 100); // 5 training windows, 2 validation windows
        var reports = new List<TrainingProgress>();

        var (_, model) = PtbTrainer.Run(data, new TrainingOptions { Config = Markov with { MaxMaxEpoch = 1 }, Device = "cpu" },
                                        new SyncProgress<TrainingProgress>(reports.Add));
        model.Dispose();

        reports.Where(r => r.Phase == TrainingPhase.Train).Select(r => r.Window).Should().Equal(1, 2, 3, 4, 5);
        reports.Where(r => r.Phase == TrainingPhase.Train).Should().OnlyContain(r => r.WindowCount == 5 && r.Perplexity > 1);
        reports.Where(r => r.CompletedEpoch is not null).Should().ContainSingle().Which.CompletedEpoch!.Epoch.Should().Be(1);
        reports.Last().Phase.Should().Be(TrainingPhase.Test);
        reports.Last().Window.Should().Be(reports.Last().WindowCount);
    }

    [Fact]
    public void Stops_between_windows_when_cancelled()
    {
        using var cancellation = new CancellationTokenSource();
        int windows = 0;
        var progress = new SyncProgress<TrainingProgress>(r => { if (r.Phase == TrainingPhase.Train && ++windows == 3) cancellation.Cancel(); });

        var act = () => PtbTrainer.Run(Corpus, new TrainingOptions { Config = Markov, Device = "cpu" }, progress, cancellation.Token);

        act.Should().Throw<OperationCanceledException>();
        windows.Should().Be(3);
    }

    [Fact]
    public void A_cost_that_stops_being_finite_names_the_epoch_and_window()
    {
        var config = Markov with { LearningRate = 1e38, MaxGradNorm = 1e38, MaxMaxEpoch = 1 };

        var act = () => PtbTrainer.Run(Slice(8_000, 1_000, 100), new TrainingOptions { Config = config, Device = "cpu" });

        act.Should().Throw<TrainingDivergedException>()
           .Where(e => e.Epoch == 1 && e.Window > 1 && !double.IsFinite(e.Cost))
           .WithMessage("Training diverged*epoch 1, window*");
    }

    [Fact]
    public void Splits_too_short_for_a_window_are_rejected_before_training()
    {
        var act = () => PtbTrainer.Run(Slice(8_000, 100, 100), new TrainingOptions { Config = Markov, Device = "cpu" });

        act.Should().Throw<ArgumentException>().WithMessage("*decrease the batch size or the number of steps*");
    }
}

/// <summary>Reports on the calling thread (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
