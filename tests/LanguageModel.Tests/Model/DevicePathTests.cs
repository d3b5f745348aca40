using LanguageModel.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Model;

/// <summary>
/// The code paths a GPU run takes (an explicit device for the model, moving it, states and batches following the
/// model's device, loading a checkpoint onto a device object), exercised here with the CPU device.
/// </summary>
[Collection(TorchCollection.Name)]
public class DevicePathTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Moving_the_model_moves_its_parameters_and_the_device_of_new_states()
    {
        using var model = TinyModels.Model();
        var target = device(TorchDevice.Resolve("cpu").ToString());

        model.MoveTo(target).Should().BeSameAs(model);

        model.Device.ToString().Should().Be("cpu");
        model.parameters().Should().OnlyContain(p => p.device_type == DeviceType.CPU);
        using var state = model.ZeroState(2);
        state.Hidden.device_type.Should().Be(model.Device.type);
    }

    [Fact]
    public void Batches_made_on_the_cpu_are_moved_to_the_model_device_by_the_model()
    {
        using var model = TinyModels.Model();
        using var batch = PtbReader.Batches(Enumerable.Range(0, 100).Select(i => i % 9).ToArray(), 4, 5).First();
        using var state = model.ZeroState(4);
        using var scope = NewDisposeScope();

        var (logits, next) = model.call(batch.Input, state);

        logits.device_type.Should().Be(model.Device.type);
        next.Hidden.device_type.Should().Be(model.Device.type);
    }

    [Fact]
    public void A_checkpoint_loads_onto_a_device_given_as_an_object()
    {
        string path = Path.Combine(_dir.Path, "model.ckpt");
        using (var model = TinyModels.Model()) Checkpoint.Save(path, model, TinyModels.Vocabulary);

        using var loaded = Checkpoint.Load(path, CPU);

        loaded.Model.Device.type.Should().Be(DeviceType.CPU);
        loaded.Model.parameters().Should().OnlyContain(p => p.device_type == DeviceType.CPU);
    }

    [Fact]
    public void Training_runs_on_the_device_the_options_name()
    {
        var data = MarkovCorpusData.Corpus with
        {
            Train = MarkovCorpusData.Corpus.Train[..2_000], Valid = MarkovCorpusData.Corpus.Valid[..1_000], Test = MarkovCorpusData.Corpus.Test[..100],
        };

        var (result, model) = PtbTrainer.Run(data, new TrainingOptions { Config = TinyModels.Config with { MaxMaxEpoch = 1 }, Device = "cpu" });
        model.Dispose();

        result.Device.Should().Be("cpu");
    }
}
