using System.Text.Json;
using LanguageModel.Native;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Packaging;

/// <summary>
/// Packs the library into a local feed and builds a fresh console app that references the package by id and version
/// (plus the CPU libtorch bundle, and nothing else of this repository), then runs it: proof that the public API is
/// enough for a real app and that native loading works through the package on this machine.
/// </summary>
public class PackageConsumerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    // A version of its own, so that the NuGet cache never serves an older build of the package to this test.
    private readonly string _version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid().ToString("N")[..6]}";

    public void Dispose()
    {
        _dir.Dispose();
        string cached = Path.Combine(BuildInfo.NuGetPackageRoot, "languagemodel", _version);
        if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
    }

    private const string ConsumerProgram = """
        using LanguageModel;

        string data = args[0];
        var vocabulary = PtbReader.BuildVocabulary(Path.Combine(data, "markov.train.txt"));
        int[] train = PtbReader.ReadIds(Path.Combine(data, "markov.train.txt"), vocabulary);
        int[] valid = PtbReader.ReadIds(Path.Combine(data, "markov.valid.txt"), vocabulary);
        var config = PtbConfig.Small with { HiddenSize = 32, NumLayers = 1, NumSteps = 10, BatchSize = 10 };

        using var model = new PtbLanguageModel(config, vocabulary.Count, TorchDevice.Resolve("auto"));
        using (var trainer = new PtbTrainer(model)) trainer.TrainEpoch(train[..4_000], learningRate: 1.0);
        var before = PtbTrainer.Evaluate(model, valid, config.BatchSize, config.NumSteps);
        Checkpoint.Save("model.ckpt", model, vocabulary);

        using var loaded = Checkpoint.Load("model.ckpt", "cpu");
        var after = PtbTrainer.Evaluate(loaded.Model, valid, config.BatchSize, config.NumSteps);
        var score = new TextScorer(loaded.Model, loaded.Vocabulary).Score(File.ReadLines(Path.Combine(data, "markov.test.txt")).First());
        var words = new TextGenerator(loaded.Model, loaded.Vocabulary).Generate("", new GenerationOptions { MaxWords = 5, Seed = 1 }).ToList();

        Console.WriteLine($"valid {before.Perplexity:F4} reloaded {after.Perplexity:F4}");
        Console.WriteLine($"score {score.Perplexity:F4} tokens {score.TokenCount}");
        Console.WriteLine($"generated {words.Count}: {string.Join(' ', words)}");
        return before.Perplexity == after.Perplexity && words.Count == 5 ? 0 : 1;
        """;

    [Fact]
    public void A_fresh_app_that_references_the_package_trains_saves_loads_scores_and_generates()
    {
        string feed = Path.Combine(_dir.Path, "feed");
        string app = Path.Combine(_dir.Path, "consumer");
        Directory.CreateDirectory(app);

        var pack = DotNet.Run(BuildInfo.RepositoryRoot, "pack", Path.Combine("src", "LanguageModel"), "-c", BuildInfo.Configuration,
                              "--no-build", "-o", feed, $"-p:PackageVersion={_version}");
        pack.ExitCode.Should().Be(0, pack.Output);

        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="LanguageModel" Version="{_version}" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="{BuildInfo.Get("LibTorchVersion")}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);

        var build = DotNet.Run(app, "build", "-c", "Release", "-o", Path.Combine(app, "out"));
        build.ExitCode.Should().Be(0, build.Output);
        string patched = Path.Combine(app, "out", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        ElfVersionNeedPatcher.Inspect(patched, "GLIBCXX_3.4.32").Should().Be(VersionNeedState.Weak, "the package's buildTransitive target patched the app's copy");

        var run = DotNet.Run(app, Path.Combine(app, "out", "Consumer.dll"), MarkovCorpusData.Directory);

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().MatchRegex(@"valid (\d+\.\d+) reloaded \1").And.Contain("generated 5: ");
    }

    [Fact]
    public void The_package_depends_on_torchsharp_only_and_carries_the_native_fix()
    {
        string feed = Path.Combine(_dir.Path, "feed");
        var pack = DotNet.Run(BuildInfo.RepositoryRoot, "pack", Path.Combine("src", "LanguageModel"), "-c", BuildInfo.Configuration,
                              "--no-build", "-o", feed, $"-p:PackageVersion={_version}");
        pack.ExitCode.Should().Be(0, pack.Output);

        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"LanguageModel.{_version}.nupkg"));
        package.Entries.Select(e => e.FullName).Should().Contain(["buildTransitive/LanguageModel.targets", "buildTransitive/ElfVersionNeedPatcher.cs",
                                                                   "lib/net10.0/LanguageModel.dll", "lib/net10.0/LanguageModel.xml", "README.md"]);
        using var nuspec = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open());
        var dependencies = System.Xml.Linq.XDocument.Parse(nuspec.ReadToEnd()).Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
        dependencies.Select(d => (d.Attribute("id")!.Value, d.Attribute("version")!.Value)).Should().Equal(("TorchSharp", BuildInfo.Get("TorchSharpVersion")));
        File.Exists(Path.Combine(feed, $"LanguageModel.{_version}.snupkg")).Should().BeTrue("a symbols package is produced");
    }

    [Theory]
    [InlineData("cpu", "libtorch-cpu-linux-x64")]
    [InlineData("cuda", "TorchSharp-cuda-linux")]
    public void The_sample_switches_its_native_bundle_with_one_property(string backend, string expected)
    {
        var result = DotNet.Run(BuildInfo.RepositoryRoot, "msbuild", Path.Combine("samples", "Ptb", "Ptb.csproj"), "-getItem:PackageReference", $"-p:TorchBackend={backend}");

        result.ExitCode.Should().Be(0, result.Output);
        var ids = JsonDocument.Parse(result.Output).RootElement.GetProperty("Items").GetProperty("PackageReference")
                              .EnumerateArray().Select(i => i.GetProperty("Identity").GetString()).ToList();
        ids.Should().Contain(expected);
        ids.Should().NotContain(backend == "cpu" ? "TorchSharp-cuda-linux" : "libtorch-cpu-linux-x64");
    }
}
