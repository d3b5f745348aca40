using System.Diagnostics;
using LanguageModel;
using TorchSharp;
using static TorchSharp.torch;

namespace Ptb.Benchmarks;

/// <summary>The measurements of this library, one method per row family of the report.</summary>
internal sealed class OurBenchmarks(PtbCorpus corpus, int repetitions)
{
    private int V => corpus.Vocabulary.Count;

    /// <summary>
    /// Training words per second over <paramref name="windows"/> windows, after <paramref name="warmUp"/> windows of
    /// training (throughput rises over the first few hundred windows, in both libraries); median of the repetitions.
    /// </summary>
    public double TrainingWordsPerSecond(PtbConfig config, int windows, int warmUp, int reps = 0)
    {
        random.manual_seed(1);
        using var model = new PtbLanguageModel(config, V, CPU);
        using var trainer = new PtbTrainer(model);
        trainer.TrainEpoch(Windows(corpus.Train, config, warmUp), config.LearningRate);
        var slice = Windows(corpus.Train, config, windows);
        return Statistics.Median(Enumerable.Range(0, reps > 0 ? reps : repetitions).Select(_ => trainer.TrainEpoch(slice, config.LearningRate).WordsPerSecond));
    }

    /// <summary>Seconds and words per second of a full evaluation pass; median of the repetitions.</summary>
    public (double Seconds, double WordsPerSecond) Evaluation(PtbConfig config, int[] ids, int batchSize)
    {
        random.manual_seed(1);
        using var model = new PtbLanguageModel(config, V, CPU);
        PtbTrainer.Evaluate(model, ids[..Math.Min(ids.Length, 2_000)], batchSize, config.NumSteps);
        var passes = Enumerable.Range(0, repetitions).Select(_ => batchSize == 1
            ? PtbTrainer.EvaluateTest(model, ids)
            : PtbTrainer.Evaluate(model, ids, batchSize, config.NumSteps)).ToList();
        return (Statistics.Median(passes.Select(p => p.Seconds)), Statistics.Median(passes.Select(p => p.WordsPerSecond)));
    }

    /// <summary>Milliseconds per generated word at batch size 1, sampling; median of the repetitions.</summary>
    public double GenerationMillisecondsPerWord(PtbConfig config, int words)
    {
        random.manual_seed(1);
        using var model = new PtbLanguageModel(config, V, CPU);
        var generator = new TextGenerator(model, corpus.Vocabulary);
        var options = new GenerationOptions { MaxWords = words, Seed = 1 };
        _ = generator.Generate("the", options with { MaxWords = 20 }).Count();
        return Statistics.Median(Enumerable.Range(0, repetitions).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            int produced = generator.Generate("the", options).Count();
            return clock.Elapsed.TotalMilliseconds / produced;
        }));
    }

    /// <summary>Resident memory after epochs 1 and 3 of a short run, and the process's peak.</summary>
    public (double AfterEpoch1, double AfterEpoch3, double Peak) Memory(PtbConfig config)
    {
        random.manual_seed(1);
        using var model = new PtbLanguageModel(config, V, CPU);
        using var trainer = new PtbTrainer(model);
        var resident = new List<double>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            trainer.TrainEpoch(corpus.Train, config.LearningRateAt(epoch));
            PtbTrainer.Evaluate(model, corpus.Valid, config.BatchSize, config.NumSteps);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var process = Process.GetCurrentProcess();
            resident.Add(process.WorkingSet64 / 1e6);
        }
        using var self = Process.GetCurrentProcess();
        return (resident[0], resident[2], self.PeakWorkingSet64 / 1e6);
    }

    /// <summary>Seconds to read the PTB directory and cut the training split into Medium windows.</summary>
    public static double ReaderSeconds(string directory, int repetitions) =>
        Statistics.Median(Enumerable.Range(0, repetitions + 1).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            var loaded = PtbReader.Load(directory);
            foreach (var batch in PtbReader.Batches(loaded.Train, 20, 35)) batch.Dispose();
            return clock.Elapsed.TotalSeconds;
        }).Skip(1));

    /// <summary>GFLOP/s of a float32 <c>n × n × n</c> matrix product.</summary>
    public static double MatmulGflops(int n, int repetitions)
    {
        using var scope = NewDisposeScope();
        var a = rand(n, n);
        var b = rand(n, n);
        a.matmul(b);
        return Statistics.Median(Enumerable.Range(0, repetitions).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            using var c = a.matmul(b);
            return 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9;
        }));
    }

    /// <summary>
    /// The largest error of a float32 product of the softmax head's shape (<c>[400, 200] × [200, 10000]</c>) against
    /// the same product in float64, relative to the largest entry: how exact the BLAS kernels in use are.
    /// </summary>
    public static double MatmulRelativeError()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(7);
        var a = randn([400, 200], generator: generator);
        var b = randn([200, 10_000], generator: generator);
        var reference = a.to_type(ScalarType.Float64).matmul(b.to_type(ScalarType.Float64));
        var product = a.matmul(b).to_type(ScalarType.Float64);
        return (product - reference).abs().max().item<double>() / reference.abs().max().item<double>();
    }

    /// <summary>The thread count <see cref="ProductSameOnOneThread"/> compares one thread with: this process's, at least 2.</summary>
    public static int ComparedThreads => Math.Max(2, torch.get_num_threads());

    /// <summary>
    /// Whether a product shaped like the softmax head's input gradient (<c>[700, 10000] × [10000, 200]</c>, a long sum)
    /// has the same bits on one thread as on <see cref="ComparedThreads"/>.
    /// </summary>
    public static bool ProductSameOnOneThread()
    {
        using var scope = NewDisposeScope();
        var generator = new torch.Generator(11);
        var a = randn([700, 10_000], generator: generator);
        var b = randn([10_000, 200], generator: generator);
        int threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(ComparedThreads);
            var threaded = a.matmul(b);
            torch.set_num_threads(1);
            return threaded.eq(a.matmul(b)).all().item<bool>();
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    /// <summary>The first <c>batch × (windows × steps + 1)</c> ids: exactly <paramref name="windows"/> windows.</summary>
    public static int[] Windows(int[] ids, PtbConfig config, int windows) => ids[..(config.BatchSize * (windows * config.NumSteps + 1))];
}
