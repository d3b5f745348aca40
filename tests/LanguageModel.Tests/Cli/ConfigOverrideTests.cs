using System.Text.Json;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Cli;

public class ConfigOverrideTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Set_changes_preset_properties_and_the_run_uses_them()
    {
        string metrics = Path.Combine(_dir.Path, "m.json");
        var run = PtbCli.Run(_dir.Path, null, "train", "--data", MarkovCorpusData.Directory, "--config", "test", "--device", "cpu",
                             "--set", "TieWeights=true", "--set", "hiddensize=6", "--set", "LockedDropout=true", "--set", "KeepProb=0.8",
                             "--metrics", metrics);

        run.ExitCode.Should().Be(0, run.Error);
        run.Output.Should().Contain("Config: test (layers 1, hidden 6, steps 2, batch 20, tied, locked dropout 0.2)");
        using var json = JsonDocument.Parse(File.ReadAllText(metrics));
        var config = json.RootElement.GetProperty("config");
        config.GetProperty("hidden_size").GetInt32().Should().Be(6);
        config.GetProperty("tie_weights").GetBoolean().Should().BeTrue();
        config.GetProperty("locked_dropout").GetBoolean().Should().BeTrue();
    }

    [Theory]
    [InlineData("Bogus=1", "ptb: --set Bogus=1: no configuration property 'Bogus'; the properties are Name, InitScale, *")]
    [InlineData("WeightDrop=1.5", "ptb: WeightDrop must be in [0, 1), but is 1.5.")]
    [InlineData("RunsLayerByLayer=true", "ptb: --set RunsLayerByLayer=true: 'RunsLayerByLayer' is computed from the other properties and cannot be set.")]
    [InlineData("HiddenSize", "ptb: --set HiddenSize: write NAME=VALUE, for example --set TieWeights=false.")]
    [InlineData("HiddenSize=big", "ptb: --set: a value does not fit its property (HiddenSize)*")]
    public void Set_names_what_is_wrong_in_one_line(string assignment, string message)
    {
        var run = PtbCli.Run(_dir.Path, null, "train", "--data", MarkovCorpusData.Directory, "--config", "test", "--set", assignment);

        run.ExitCode.Should().Be(2, run.Output);
        run.Error.Trim().Split('\n').Should().ContainSingle().Which.Should().Match(message);
    }
}
