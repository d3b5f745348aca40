using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using LanguageModel;
using TorchSharp;

namespace Ptb.Benchmarks;

/// <summary>
/// <c>ptb bench</c>: measures training, evaluation, generation, memory, reading and arithmetic rate on the PTB,
/// next to a PyTorch peer run in the same command with the same thread count. Prints a table and writes JSON.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "PTB directory.", DefaultValueFactory = _ => Path.Combine("..", "shared", "data", "ptb") };
        var output = new Option<string>("--out") { Description = "JSON report file.", DefaultValueFactory = _ => "bench.json" };
        var repetitions = new Option<int>("--repetitions") { Description = "Repetitions per measurement (the median is reported).", DefaultValueFactory = _ => 3 };
        var windows = new Option<int>("--windows") { Description = "Training windows per repetition for the Small config (Medium: half).", DefaultValueFactory = _ => 100 };
        var noPeer = new Option<bool>("--no-peer") { Description = "Measure this library only." };
        var profile = new Option<bool>("--profile") { Description = "Only print where a training step's time goes (Small and Medium), phase by phase." };
        var regularization = new Option<bool>("--regularization") { Description = "Only measure what each regularisation technique costs in training speed, on Medium's size (--windows/2 windows after as many of warm-up)." };
        var matmul = new Option<bool>("--matmul") { Description = "Only print the matrix-product rate, its error against float64, and whether one thread gives the same bits as all (checks the BLAS kernels in use)." };
        var command = new Command("bench", "Benchmark this library against PyTorch on the same machine (not part of the tests).")
            { data, output, repetitions, windows, noPeer, profile, matmul, regularization };
        command.SetAction((result, _) => CliErrors.Run(() => Task.FromResult(
            result.GetValue(matmul) ? Matmul()
            : result.GetValue(profile) ? Profile(result.GetValue(data)!, result.GetValue(windows))
            : result.GetValue(regularization) ? RegularizationCost(result.GetValue(data)!, result.GetValue(windows), result.GetValue(repetitions))
            : Run(result.GetValue(data)!, result.GetValue(output)!, result.GetValue(repetitions), result.GetValue(windows), !result.GetValue(noPeer)))));
        return command;
    }

    private static int Run(string directory, string outputPath, int repetitions, int smallWindows, bool withPeer)
    {
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), repetitions, "--repetitions must be at least 1.");
        var corpus = PtbReader.Load(directory);
        int threads = torch.get_num_threads();
        var small = PtbConfig.Small;
        var medium = PtbConfig.Medium;
        var plan = new JsonObject
        {
            ["threads"] = threads,
            ["repetitions"] = repetitions,
            ["configs"] = new JsonObject { ["small"] = Describe(small), ["medium"] = Describe(medium) },
            ["windows"] = new JsonObject { ["small"] = smallWindows, ["medium"] = Math.Max(smallWindows / 2, 1) },
            ["warm_up_windows"] = new JsonObject { ["small"] = 2 * smallWindows, ["medium"] = smallWindows, ["scaling"] = 20 },
            ["generation_words"] = 500,
            ["matmul_size"] = 2048,
            ["scaling_windows"] = 10,
            ["scaling"] = new JsonObject(ScalingConfigs().Select(s => KeyValuePair.Create(s.Key, (JsonNode?)Describe(s.Config)))),
        };

        Console.WriteLine($"Benchmark on {Path.GetFullPath(directory)}, {threads} threads, median of {repetitions}; {Environment.ProcessorCount} cores; oneMKL {Startup.MklDescription}; malloc thresholds {(Startup.Malloc ? "raised" : "default")}");
        var ours = new JsonObject();
        var bench = new OurBenchmarks(corpus, repetitions);
        void Measure(string what, Func<JsonNode> measure)
        {
            Console.Write($"  measuring {what} ...");
            ours[what] = measure();
            Console.WriteLine(" done");
        }
        Measure("reader_seconds", () => OurBenchmarks.ReaderSeconds(directory, repetitions));
        Measure("training", () => new JsonObject
        {
            ["small"] = bench.TrainingWordsPerSecond(small, smallWindows, warmUp: 2 * smallWindows),
            ["medium"] = bench.TrainingWordsPerSecond(medium, Math.Max(smallWindows / 2, 1), warmUp: smallWindows),
        });
        Measure("eval_valid", () => Pass(bench.Evaluation(small, corpus.Valid, small.BatchSize)));
        Measure("eval_test", () => Pass(bench.Evaluation(small, corpus.Test, 1)));
        Measure("generation_ms_per_word", () => bench.GenerationMillisecondsPerWord(small, 500));
        Measure("matmul_gflops", () => OurBenchmarks.MatmulGflops(2048, 5));
        Measure("matmul_max_relative_error", () => OurBenchmarks.MatmulRelativeError());
        Measure("scaling", () => new JsonObject(ScalingConfigs().Select(s =>
            KeyValuePair.Create(s.Key, (JsonNode?)bench.TrainingWordsPerSecond(s.Config, 10, warmUp: 20, reps: 1)))));
        Measure("memory_mb", () =>
        {
            var (first, third, peak) = bench.Memory(PtbConfig.Test);
            return new JsonObject { ["after_epoch_1"] = first, ["after_epoch_3"] = third, ["growth_percent"] = (third - first) / first * 100, ["peak"] = peak };
        });

        JsonObject? peer = null;
        if (withPeer)
        {
            Console.WriteLine("  running the PyTorch peer ...");
            peer = PeerRunner.Run(directory, plan, Console.WriteLine);
        }

        var report = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["onemkl"] = Startup.MklDescription,
            ["malloc_tuning"] = Startup.Malloc,
            ["plan"] = plan,
            ["ours"] = ours,
            ["pytorch"] = peer,
        };
        AtomicFile.Write(outputPath, stream => System.Text.Json.JsonSerializer.Serialize(stream, report, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Print(ours, peer, corpus.Vocabulary.Count);
        Console.WriteLine($"Report: {Path.GetFullPath(outputPath)}");
        return 0;
    }

    private static int Matmul()
    {
        Console.WriteLine($"oneMKL {Startup.MklDescription}");
        Console.WriteLine($"matmul 2048^3 float32: {OurBenchmarks.MatmulGflops(2048, 5).ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s");
        Console.WriteLine($"max relative error vs float64: {OurBenchmarks.MatmulRelativeError().ToString("E2", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"same bits on 1 and {OurBenchmarks.ComparedThreads} threads: {(OurBenchmarks.ProductSameOnOneThread() ? "yes" : "no")}");
        return 0;
    }

    private static int Profile(string directory, int windows)
    {
        var corpus = PtbReader.Load(directory);
        Console.WriteLine($"Milliseconds per training step, {torch.get_num_threads()} threads, mean of {windows} windows after 2 of warm-up; oneMKL {Startup.MklDescription}");
        foreach (var config in new[] { PtbConfig.Small, PtbConfig.Medium })
        {
            var phases = StepProfile.Measure(config, corpus.Train, corpus.Vocabulary.Count, windows);
            double total = phases.Values.Sum();
            Console.WriteLine($"{config.Name}: {total:F1} ms per step, {config.BatchSize * config.NumSteps / total * 1000:F0} words/s");
            foreach (var (phase, ms) in phases.OrderByDescending(p => p.Value))
                Console.WriteLine($"  {phase,-28} {ms,8:F2} ms  {ms / total,6:P1}");
        }
        return 0;
    }

    /// <summary>Training speed of Medium's size with each technique switched on alone, then the CpuBudget preset with and without weight drop.</summary>
    private static int RegularizationCost(string directory, int windows, int repetitions)
    {
        var corpus = PtbReader.Load(directory);
        var bench = new OurBenchmarks(corpus, repetitions);
        var medium = PtbConfig.Medium;
        (string Name, PtbConfig Config)[] rows =
        [
            ("medium as TensorFlow has it", medium),
            ("+ tied weights", medium with { TieWeights = true }),
            ("+ locked dropout (layer by layer)", medium with { LockedDropout = true }),
            ("+ embedding dropout 0.1", medium with { EmbeddingDropout = 0.1 }),
            ("+ AR 2 and TAR 1", medium with { ActivationRegularization = 2, TemporalActivationRegularization = 1 }),
            ("+ weight drop 0.5", medium with { WeightDrop = 0.5 }),
            ("cpubudget preset", PtbConfig.CpuBudget),
            ("cpubudget + weight drop 0.5", PtbConfig.CpuBudget with { WeightDrop = 0.5 }),
        ];
        int measured = Math.Max(windows / 2, 1);
        Console.WriteLine($"Training words/s, hidden 650, {measured} windows after {measured} of warm-up, median of {repetitions}, {torch.get_num_threads()} threads; oneMKL {Startup.MklDescription}");
        double? baseline = null;
        foreach (var (name, config) in rows)
        {
            double wordsPerSecond = bench.TrainingWordsPerSecond(config, measured, warmUp: measured);
            baseline ??= wordsPerSecond;
            Console.WriteLine($"  {name,-36} {wordsPerSecond,8:F0} words/s  {wordsPerSecond / baseline.Value,6:P1}");
        }
        return 0;
    }

    private static IEnumerable<(string Key, PtbConfig Config)> ScalingConfigs() =>
        from hidden in new[] { 200, 650, 1500 }
        from steps in new[] { 20, 35 }
        select ($"h{hidden}_t{steps}", PtbConfig.Small with { HiddenSize = hidden, NumSteps = steps });

    private static JsonObject Describe(PtbConfig c) => new()
    {
        ["hidden"] = c.HiddenSize, ["layers"] = c.NumLayers, ["steps"] = c.NumSteps, ["batch"] = c.BatchSize,
        ["keep_prob"] = c.KeepProb, ["init_scale"] = c.InitScale, ["lr"] = c.LearningRate, ["max_grad_norm"] = c.MaxGradNorm,
    };

    private static JsonObject Pass((double Seconds, double WordsPerSecond) pass) =>
        new() { ["seconds"] = pass.Seconds, ["words_per_second"] = pass.WordsPerSecond };

    private static void Print(JsonObject ours, JsonObject? peer, int vocabulary)
    {
        Console.WriteLine();
        Console.WriteLine($"{"measurement",-44} {"ours",12} {"PyTorch",12} {"speed-up",9}");
        void Row(string label, double? mine, double? theirs, bool higherIsBetter, string format = "F1")
        {
            string ratio = mine is > 0 && theirs is > 0 ? (higherIsBetter ? mine.Value / theirs.Value : theirs.Value / mine.Value).ToString("F2", CultureInfo.InvariantCulture) + "x" : "";
            Console.WriteLine($"{label,-44} {mine?.ToString(format, CultureInfo.InvariantCulture) ?? "-",12} {theirs?.ToString(format, CultureInfo.InvariantCulture) ?? "-",12} {ratio,9}");
        }
        double? Ours(params string[] path) => PeerRunner.Number(ours, path);
        double? Theirs(params string[] path) => PeerRunner.Number(peer, path);

        Row("training Small, words/s", Ours("training", "small"), Theirs("training", "small"), true, "F0");
        Row("training Medium, words/s", Ours("training", "medium"), Theirs("training", "medium"), true, "F0");
        Row("eval valid (batch 20), seconds", Ours("eval_valid", "seconds"), Theirs("eval_valid", "seconds"), false, "F2");
        Row("eval valid (batch 20), words/s", Ours("eval_valid", "words_per_second"), Theirs("eval_valid", "words_per_second"), true, "F0");
        Row("eval test (batch 1), seconds", Ours("eval_test", "seconds"), Theirs("eval_test", "seconds"), false, "F2");
        Row("eval test (batch 1), words/s", Ours("eval_test", "words_per_second"), Theirs("eval_test", "words_per_second"), true, "F0");
        Row("generation (Small, sampling), ms/word", Ours("generation_ms_per_word"), Theirs("generation_ms_per_word"), false, "F3");
        Row("reader: load PTB (+ Medium batches), s", Ours("reader_seconds"), Theirs("reader_seconds"), false, "F3");
        Row("matmul 2048^3 float32, GFLOP/s", Ours("matmul_gflops"), Theirs("matmul_gflops"), true);
        foreach (var (name, config) in new[] { ("Small", PtbConfig.Small), ("Medium", PtbConfig.Medium) })
        {
            double flopsPerWord = ModelFlops.TrainingPerWord(config, vocabulary);
            double? mine = Ours("training", name.ToLowerInvariant()) * flopsPerWord / 1e9;
            double? theirs = Theirs("training", name.ToLowerInvariant()) * flopsPerWord / 1e9;
            Row($"training {name}, model GFLOP/s", mine, theirs, true);
            Row($"  as % of this run's matmul rate", mine / Ours("matmul_gflops") * 100, theirs / Theirs("matmul_gflops") * 100, true);
        }
        foreach (var (key, _) in ScalingConfigs())
            Row($"scaling {key}, training words/s", Ours("scaling", key), Theirs("scaling", key), true, "F0");
        Row("memory after epoch 1 (Test config), MB", Ours("memory_mb", "after_epoch_1"), null, false);
        Row("memory after epoch 3 (Test config), MB", Ours("memory_mb", "after_epoch_3"), null, false);
        Row("memory growth epoch 1 -> 3, %", Ours("memory_mb", "growth_percent"), null, false, "F2");
        Row("peak resident memory, MB", Ours("memory_mb", "peak"), Theirs("peak_rss_mb"), false);
    }
}
