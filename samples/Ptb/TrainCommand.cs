using System.CommandLine;
using LanguageModel;

namespace Ptb;

/// <summary><c>ptb train</c>: trains a preset on a PTB-format corpus and prints TensorFlow's per-epoch report.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Directory with ptb.train.txt, ptb.valid.txt and ptb.test.txt, or one NAME.train/valid/test.txt set (default: data/ptb, downloaded if missing, else the bundled corpus)." };
        var config = new Option<string>("--config") { Description = "Preset: small, medium, large, test (TensorFlow's), cpubudget (an hour on a 2-core CPU) or awd-lstm (Merity et al. 2017).", DefaultValueFactory = _ => "small" };
        var epochs = new Option<int?>("--epochs") { Description = "Stop after N epochs in all (the learning-rate schedule stays the preset's)." };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same numbers on the CPU.", DefaultValueFactory = _ => 1 };
        var device = new Option<string>("--device") { Description = "auto (CUDA when available), cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        var metrics = new Option<string?>("--metrics") { Description = "Write per-epoch metrics as JSON to this file (updated after every epoch)." };
        var save = new Option<string?>("--save") { Description = "Keep the checkpoint with the best validation perplexity in this file." };
        var saveLatest = new Option<string?>("--save-latest") { Description = "Write a checkpoint after every epoch to this file (resume from it after an interruption)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the training saved in this checkpoint (its config and seed are used)." };
        var timeBudget = new Option<string?>("--time-budget") { Description = "Train for this long (e.g. 60m, 1.5h, 90s), training and validation included: the learning rate decays to the end of the budget and the run stops on time." };
        var set = new Option<string[]>("--set") { Description = "Change a configuration property of the preset, NAME=VALUE (repeatable), e.g. --set TieWeights=false --set HiddenSize=512.", AllowMultipleArgumentsPerToken = false };
        var plot = new Option<bool>("--plot") { Description = "With --metrics: also draw the validation curves next to it (METRICS.png) after every epoch." };

        var command = new Command("train", "Train an LSTM language model with one of TensorFlow's PTB presets.")
            { data, config, epochs, seed, device, metrics, save, saveLatest, resume, timeBudget, set, plot };
        command.SetAction((result, cancellationToken) => CliErrors.Run(async () =>
        {
            var preset = ConfigOverrides.Apply(PtbConfig.FromName(result.GetValue(config)!), result.GetValue(set) ?? []);
            if (result.GetValue(timeBudget) is { } budget)
                preset = preset with { TimeBudget = Duration.Parse(budget, "--time-budget") };
            var options = new TrainingOptions
            {
                Config = preset,
                Epochs = result.GetValue(epochs),
                Seed = result.GetValue(seed),
                Device = result.GetValue(device)!,
                BestCheckpointPath = result.GetValue(save),
                LatestCheckpointPath = result.GetValue(saveLatest),
                ResumeFrom = result.GetValue(resume),
            }.Validate();
            if (result.GetValue(plot) && result.GetValue(metrics) is null)
                throw new ArgumentException("--plot draws the curves of the --metrics file: give --metrics too.");
            if (options.ResumeFrom is not null && (result.GetValue(timeBudget) is not null || result.GetValue(set) is { Length: > 0 }))
                throw new ArgumentException("--time-budget and --set cannot be combined with --resume: a resumed run keeps its checkpoint's configuration.");
            if (options.ResumeFrom is not null && result.GetResult(config) is { Implicit: false })
                throw new ArgumentException("--config cannot be combined with --resume: a resumed run keeps its checkpoint's configuration.");
            string deviceName = TorchDevice.Resolve(options.Device).ToString();
            string directory = await DataLocator.Resolve(result.GetValue(data), cancellationToken);
            return Train(directory, options, deviceName, result.GetValue(metrics), result.GetValue(plot), cancellationToken);
        }));
        return command;
    }

    private static int Train(string directory, TrainingOptions options, string device, string? metricsPath, bool plot, CancellationToken cancellationToken)
    {
        var corpus = PtbReader.Load(directory);
        var resumed = options.ResumeFrom is { } resumePath ? Checkpoint.Inspect(resumePath) : null;
        var config = resumed?.Config ?? options.Config;
        int seed = resumed?.Training?.Seed ?? options.Seed;
        Console.WriteLine($"Data: {Path.GetFullPath(directory)}: vocabulary {corpus.Vocabulary.Count:N0}, " +
                          $"tokens train {corpus.Train.Length:N0} / valid {corpus.Valid.Length:N0} / test {corpus.Test.Length:N0}");
        if (resumed is not null)
            Console.WriteLine($"Resuming {Path.GetFullPath(options.ResumeFrom!)} after epoch {resumed.Training?.EpochsCompleted}");
        Console.WriteLine($"Config: {config.Name} (layers {config.NumLayers}, hidden {config.HiddenSize}, steps {config.NumSteps}, " +
                          $"batch {config.BatchSize}, {Regularization(config)}), " +
                          (config.TimeBudget is { } limit ? $"time budget {limit.TotalMinutes:0.##} min" : $"epochs {options.EpochCount(config)}") +
                          $", seed {seed}, device {device}, " +
                          $"oneMKL {Startup.MklDescription}");
        Console.WriteLine();
        Console.WriteLine("Epoch  Learning rate  Train perplexity  Valid perplexity  Seconds  Words/s");

        var finished = new List<EpochMetrics>(resumed?.Training?.Epochs ?? []);
        foreach (var epoch in finished) PrintEpoch(epoch);
        var line = new ConsoleProgressLine();
        var progress = new InlineProgress<TrainingProgress>(report =>
        {
            if (report.CompletedEpoch is { } epoch)
            {
                line.Clear();
                PrintEpoch(epoch);
                finished.Add(epoch);
                if (metricsPath is not null) WriteMetrics(metricsPath, plot, config, device, seed, finished, null);
                return;
            }
            line.Update((double)report.Window / Math.Max(report.WindowCount, 1),
                        $"{report.Phase.ToString().ToLowerInvariant()} epoch {report.Epoch}  perplexity {report.Perplexity:F2}  {report.WordsPerSecond:F0} words/s");
        });

        TrainingResult result;
        try
        {
            var (trained, model) = PtbTrainer.Run(corpus, options, progress, cancellationToken);
            model.Dispose();
            result = trained;
        }
        catch (Exception e) when (e is OperationCanceledException or TrainingDivergedException)
        {
            line.Clear();
            string? kept = options.LatestCheckpointPath ?? options.BestCheckpointPath;
            Console.Error.WriteLine(kept is null ? "No checkpoint was asked for (--save, --save-latest)."
                : File.Exists(kept) ? $"The last complete checkpoint is {Path.GetFullPath(kept)}; continue with --resume {kept}."
                : "No epoch finished, so no checkpoint was written.");
            throw;
        }

        line.Clear();
        Console.WriteLine();
        Console.WriteLine($"Test perplexity: {result.TestPerplexity:F3}");
        if (options.BestCheckpointPath is { } best) Console.WriteLine($"Best checkpoint: {Path.GetFullPath(best)}");
        if (metricsPath is not null)
        {
            WriteMetrics(metricsPath, plot, result.Config, result.Device, result.Seed, result.Epochs, result.TestPerplexity);
            Console.WriteLine($"Metrics: {Path.GetFullPath(metricsPath)}" + (plot ? $", curves: {Path.GetFullPath(Path.ChangeExtension(metricsPath, ".png"))}" : ""));
        }
        return 0;
    }

    private static void WriteMetrics(string path, bool plot, PtbConfig config, string device, int seed, IReadOnlyList<EpochMetrics> epochs, double? test)
    {
        MetricsFile.Write(path, config, device, seed, epochs, test);
        if (plot) PlotCommand.Draw([PlotCommand.Read(path)], Path.ChangeExtension(path, ".png"));
    }

    private static string Regularization(PtbConfig c)
    {
        var parts = new List<string>();
        if (c.EmbeddingSize is { } embedding) parts.Add($"embedding {embedding}");
        if (c.TieWeights) parts.Add("tied");
        double p = c.DropoutProbability;
        double[] dropout = [c.InputDropout ?? p, c.HiddenDropout ?? p, c.OutputDropout ?? p];
        string kind = c.LockedDropout ? "locked dropout" : "dropout";
        parts.Add(dropout.All(d => d == 0) ? "no dropout"
            : dropout.Distinct().Count() == 1 ? $"{kind} {dropout[0]:0.##}"
            : $"{kind} {dropout[0]:0.##} input / {dropout[1]:0.##} between layers / {dropout[2]:0.##} output");
        if (c.EmbeddingDropout > 0) parts.Add($"embedding dropout {c.EmbeddingDropout:0.##}");
        if (c.WeightDrop > 0) parts.Add($"weight drop {c.WeightDrop:0.##}");
        if (c.ActivationRegularization > 0 || c.TemporalActivationRegularization > 0) parts.Add($"AR {c.ActivationRegularization:0.##} TAR {c.TemporalActivationRegularization:0.##}");
        if (c.AveragedSgd) parts.Add("NT-ASGD");
        return string.Join(", ", parts);
    }

    private static void PrintEpoch(EpochMetrics epoch) =>
        Console.WriteLine($"{epoch.Epoch,5}  {epoch.LearningRate,13:F4}  {epoch.TrainPerplexity,16:F3}  {epoch.ValidPerplexity,16:F3}  {epoch.Seconds,7:F1}  {epoch.WordsPerSecond,7:F0}");
}
