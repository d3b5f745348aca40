using System.CommandLine;
using LanguageModel;

namespace Ptb;

/// <summary><c>ptb train</c>: trains a preset on a PTB-format corpus and prints TensorFlow's per-epoch report.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Directory with ptb.train.txt, ptb.valid.txt and ptb.test.txt (default: data/ptb, downloaded if missing, else the bundled corpus)." };
        var config = new Option<string>("--config") { Description = "Preset: small, medium, large or test.", DefaultValueFactory = _ => "small" };
        var epochs = new Option<int?>("--epochs") { Description = "Stop after N epochs (the learning-rate schedule stays the preset's)." };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same numbers on the CPU.", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "auto (CUDA when available), cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        var metrics = new Option<string?>("--metrics") { Description = "Write per-epoch metrics as JSON to this file (updated after every epoch)." };

        var command = new Command("train", "Train an LSTM language model with one of TensorFlow's PTB presets.") { data, config, epochs, seed, device, metrics };
        command.SetAction((result, cancellationToken) => CliErrors.Run(async () =>
        {
            var options = new TrainingOptions
            {
                Config = PtbConfig.FromName(result.GetValue(config)!),
                Epochs = result.GetValue(epochs),
                Seed = result.GetValue(seed),
                Device = result.GetValue(device)!,
            }.Validate();
            string deviceName = TorchDevice.Resolve(options.Device).ToString();
            string directory = await DataLocator.Resolve(result.GetValue(data), cancellationToken);
            string? metricsPath = result.GetValue(metrics);
            return Train(directory, options, deviceName, metricsPath, cancellationToken);
        }));
        return command;
    }

    private static int Train(string directory, TrainingOptions options, string device, string? metricsPath, CancellationToken cancellationToken)
    {
        var corpus = PtbReader.Load(directory);
        var config = options.Config;
        Console.WriteLine($"Data: {Path.GetFullPath(directory)}: vocabulary {corpus.Vocabulary.Count:N0}, " +
                          $"tokens train {corpus.Train.Length:N0} / valid {corpus.Valid.Length:N0} / test {corpus.Test.Length:N0}");
        Console.WriteLine($"Config: {config.Name} (layers {config.NumLayers}, hidden {config.HiddenSize}, steps {config.NumSteps}, " +
                          $"batch {config.BatchSize}, keep_prob {config.KeepProb}), epochs {options.EpochCount}, seed {options.Seed}, device {device}");
        Console.WriteLine();
        Console.WriteLine("Epoch  Learning rate  Train perplexity  Valid perplexity  Seconds  Words/s");

        var finished = new List<EpochMetrics>();
        var line = new ConsoleProgressLine();
        var progress = new InlineProgress<TrainingProgress>(report =>
        {
            if (report.CompletedEpoch is { } epoch)
            {
                line.Clear();
                Console.WriteLine($"{epoch.Epoch,5}  {epoch.LearningRate,13:F4}  {epoch.TrainPerplexity,16:F3}  {epoch.ValidPerplexity,16:F3}  {epoch.Seconds,7:F1}  {epoch.WordsPerSecond,7:F0}");
                finished.Add(epoch);
                if (metricsPath is not null) MetricsFile.Write(metricsPath, config, device, options.Seed, finished, null);
                return;
            }
            line.Update((double)report.Window / Math.Max(report.WindowCount, 1),
                        $"{report.Phase.ToString().ToLowerInvariant()} epoch {report.Epoch}  perplexity {report.Perplexity:F2}  {report.WordsPerSecond:F0} words/s");
        });

        var (result, model) = PtbTrainer.Run(corpus, options, progress, cancellationToken);
        using (model)
        {
            line.Clear();
            Console.WriteLine();
            Console.WriteLine($"Test perplexity: {result.TestPerplexity:F3}");
            if (metricsPath is not null)
            {
                MetricsFile.Write(metricsPath, config, result.Device, options.Seed, result.Epochs, result.TestPerplexity);
                Console.WriteLine($"Metrics: {Path.GetFullPath(metricsPath)}");
            }
        }
        return 0;
    }
}
