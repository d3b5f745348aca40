using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Training;

[Collection(TorchCollection.Name)]
public class ResumeTests : IDisposable
{
    // Dropout on, so that the random-generator state really matters for resuming.
    private static readonly PtbConfig Config = new("resume", InitScale: 0.1, LearningRate: 1.0, MaxGradNorm: 5, NumLayers: 2, NumSteps: 10,
        HiddenSize: 16, MaxEpoch: 1, MaxMaxEpoch: 3, KeepProb: 0.6, LrDecay: 0.5, BatchSize: 10);

    private static readonly PtbCorpus Data = MarkovCorpusData.Corpus with
    {
        Train = MarkovCorpusData.Corpus.Train[..6_000],
        Valid = MarkovCorpusData.Corpus.Valid[..1_500],
        Test = MarkovCorpusData.Corpus.Test[..500],
    };

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    private static TrainingResult Train(TrainingOptions options)
    {
        var (result, model) = PtbTrainer.Run(Data, options with { Device = "cpu" });
        model.Dispose();
        return result;
    }

    [Fact]
    public void Resuming_after_an_epoch_gives_the_numbers_of_the_uninterrupted_run()
    {
        var uninterrupted = Train(new TrainingOptions { Config = Config, Seed = 5 });

        Train(new TrainingOptions { Config = Config, Seed = 5, Epochs = 1, LatestCheckpointPath = PathOf("latest.ckpt"), RunTest = false });
        var resumed = Train(new TrainingOptions { ResumeFrom = PathOf("latest.ckpt"), Seed = 12345 /* ignored: the checkpoint's counts */ });

        resumed.Epochs.Should().HaveCount(3);
        resumed.Epochs.Select(e => (e.Epoch, e.LearningRate, e.TrainPerplexity, e.ValidPerplexity))
               .Should().Equal(uninterrupted.Epochs.Select(e => (e.Epoch, e.LearningRate, e.TrainPerplexity, e.ValidPerplexity)));
        resumed.TestPerplexity.Should().Be(uninterrupted.TestPerplexity);
        resumed.Seed.Should().Be(5);
    }

    [Fact]
    public void Training_checkpoints_hold_epoch_learning_rate_best_perplexity_and_random_state()
    {
        var result = Train(new TrainingOptions
        {
            Config = Config, Seed = 3, LatestCheckpointPath = PathOf("latest.ckpt"), BestCheckpointPath = PathOf("best.ckpt"), RunTest = false,
        });

        var latest = Checkpoint.Inspect(PathOf("latest.ckpt")).Training!;
        var best = Checkpoint.Inspect(PathOf("best.ckpt")).Training!;
        latest.EpochsCompleted.Should().Be(3);
        latest.LearningRate.Should().Be(0.25);
        latest.Epochs.Should().Equal(result.Epochs);
        latest.RandomState.Should().NotBeEmpty();
        int bestEpoch = result.Epochs.MinBy(e => e.ValidPerplexity)!.Epoch;
        best.EpochsCompleted.Should().Be(bestEpoch);
        best.BestValidPerplexity.Should().Be(result.Epochs.Min(e => e.ValidPerplexity));
        latest.BestValidPerplexity.Should().Be(best.BestValidPerplexity);
    }

    [Fact]
    public void The_best_checkpoint_evaluates_to_the_perplexity_the_run_reported()
    {
        var result = Train(new TrainingOptions { Config = Config, Seed = 3, BestCheckpointPath = PathOf("best.ckpt"), RunTest = false });

        using var best = Checkpoint.Load(PathOf("best.ckpt"), "cpu");
        var valid = PtbTrainer.Evaluate(best.Model, Data.Valid, Config.BatchSize, Config.NumSteps);

        valid.Perplexity.Should().Be(result.Epochs.Min(e => e.ValidPerplexity));
    }

    [Fact]
    public void Divergence_keeps_the_last_good_checkpoint()
    {
        Train(new TrainingOptions { Config = Config, Epochs = 1, LatestCheckpointPath = PathOf("latest.ckpt"), RunTest = false });
        byte[] good = File.ReadAllBytes(PathOf("latest.ckpt"));

        var act = () => Train(new TrainingOptions
        {
            Config = Config with { LearningRate = 1e38, MaxGradNorm = 1e38 }, LatestCheckpointPath = PathOf("latest.ckpt"),
        });

        act.Should().Throw<TrainingDivergedException>().WithMessage("*epoch 1, window*");
        File.ReadAllBytes(PathOf("latest.ckpt")).Should().Equal(good);
    }

    [Fact]
    public void A_checkpoint_without_training_state_cannot_be_resumed()
    {
        using (var model = TinyModels.Model()) Checkpoint.Save(PathOf("model.ckpt"), model, TinyModels.Vocabulary);

        var act = () => Train(new TrainingOptions { ResumeFrom = PathOf("model.ckpt") });

        act.Should().Throw<InvalidDataException>().WithMessage($"{PathOf("model.ckpt")}: holds a model but no training state*");
    }

    [Fact]
    public void Resuming_on_data_with_another_vocabulary_is_refused()
    {
        Train(new TrainingOptions { Config = Config, Epochs = 1, LatestCheckpointPath = PathOf("latest.ckpt"), RunTest = false });
        var other = Data with { Vocabulary = new Vocabulary(Data.Vocabulary.Words.Reverse()) };

        var act = () => PtbTrainer.Run(other, new TrainingOptions { ResumeFrom = PathOf("latest.ckpt"), Device = "cpu" });

        act.Should().Throw<InvalidDataException>().WithMessage($"{PathOf("latest.ckpt")}: the checkpoint's vocabulary differs from the data's: id 0 is*");
    }
}
