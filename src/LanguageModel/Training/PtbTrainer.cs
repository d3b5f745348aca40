using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Trains a <see cref="PtbLanguageModel"/> as TensorFlow's PTB tutorial does (<c>run_epoch</c> and <c>main</c>):
/// plain SGD on the <see cref="SequenceLoss"/> cost, gradients clipped by global norm, the learning rate decayed
/// per epoch, the state carried across windows and detached between them.
/// </summary>
public sealed class PtbTrainer : IDisposable
{
    private readonly SGD _optimizer;
    private readonly Parameter[] _parameters;

    /// <summary>Creates a trainer (and its SGD optimizer) for <paramref name="model"/>.</summary>
    public PtbTrainer(PtbLanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _parameters = model.parameters().ToArray();
        _optimizer = optim.SGD(_parameters, model.Config.LearningRate);
    }

    /// <summary>The model being trained.</summary>
    public PtbLanguageModel Model { get; }

    /// <summary>
    /// Runs a whole training: builds the model on the chosen device (or resumes a checkpoint), trains up to
    /// <see cref="TrainingOptions.EpochCount"/> epochs (under a <see cref="PtbConfig.TimeBudget"/>: until the budget is
    /// spent, or <see cref="TrainingOptions.Epochs"/>) with a validation pass and the requested checkpoints after each,
    /// then the test pass.
    /// </summary>
    /// <param name="corpus">The data; its vocabulary sets the model's output size.</param>
    /// <param name="options">Configuration, seed, device, length of the run and checkpoint paths.</param>
    /// <param name="progress">Receives a report after every window and one when each epoch ends.</param>
    /// <param name="cancellationToken">Stops the run between two windows with <see cref="OperationCanceledException"/>;
    /// checkpoints already written stay as they are.</param>
    /// <returns>The per-epoch metrics (those before a resume included), the test perplexity and the trained model.</returns>
    /// <exception cref="TrainingDivergedException">The cost became NaN or infinite; the last checkpoints are kept.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume is unreadable, holds no training state, or has another vocabulary.</exception>
    public static (TrainingResult Result, PtbLanguageModel Model) Run(
        PtbCorpus corpus, TrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var device = TorchDevice.Resolve(options.Device);

        PtbLanguageModel? resumed = null;
        var epochs = new List<EpochMetrics>();
        double best = double.PositiveInfinity;
        int seed = options.Seed;
        double resumedElapsedSeconds = 0;
        if (options.ResumeFrom is { } resumePath)
        {
            var checkpoint = Checkpoint.Load(resumePath, device);
            if (checkpoint.Training is not { } training)
            {
                checkpoint.Dispose();
                throw new InvalidDataException($"{resumePath}: holds a model but no training state, so it cannot be resumed; it was not written during training.");
            }
            if (checkpoint.Vocabulary.FirstDifference(corpus.Vocabulary) is { } difference)
            {
                checkpoint.Dispose();
                throw new InvalidDataException($"{resumePath}: the checkpoint's vocabulary differs from the data's: {difference}.");
            }
            resumed = checkpoint.Model;
            epochs.AddRange(training.Epochs);
            best = training.BestValidPerplexity;
            seed = training.Seed;
            resumedElapsedSeconds = training.ElapsedSeconds;
            using var randomState = tensor(training.RandomState);
            random.set_rng_state(randomState);
        }
        else
        {
            random.manual_seed(seed);
        }

        var config = resumed?.Config ?? options.Config;
        try
        {
            // Fail before any work when a split is too short for its windows.
            PtbReader.EpochSize(corpus.Train.Length, config.BatchSize, config.NumSteps);
            PtbReader.EpochSize(corpus.Valid.Length, config.BatchSize, config.NumSteps);
            PtbReader.EpochSize(corpus.Test.Length, 1, 1);
        }
        catch
        {
            resumed?.Dispose();
            throw;
        }
        var model = resumed ?? new PtbLanguageModel(config, corpus.Vocabulary.Count, device);

        try
        {
            using var trainer = new PtbTrainer(model);
            var budget = config.TimeBudget is null ? null : TimeBudgetSchedule.For(config);
            // A budgeted run ends with its budget, not with MaxMaxEpoch; an explicit epoch limit still applies.
            int epochCount = budget is null ? options.EpochCount(config) : options.Epochs ?? int.MaxValue;
            var spentBefore = TimeSpan.FromSeconds(resumedElapsedSeconds);
            var clock = Stopwatch.StartNew();
            TimeSpan Elapsed() => spentBefore + clock.Elapsed;
            double? longestEpochEndSeconds = null;
            // The last validation pass and checkpoints must fit in the budget too: reserve the longest they took after
            // an epoch so far (one pass can be slower than the one before), or before the first one, the time to read
            // the validation split at the training speed (an overestimate: evaluation has no backward pass).
            bool OutOfTime(double trainWordsPerSecond) => budget is not null &&
                Elapsed() + TimeSpan.FromSeconds(1.1 * (longestEpochEndSeconds ?? corpus.Valid.Length / trainWordsPerSecond)) >= budget.Budget;

            for (int epoch = epochs.Count; epoch < epochCount; epoch++)
            {
                if (budget is not null && Elapsed() + TimeSpan.FromSeconds(1.1 * (longestEpochEndSeconds ?? 0)) >= budget.Budget) break;
                int epochIndex = epoch;
                double learningRate = budget is null ? config.LearningRateAt(epoch) : budget.LearningRateAt(Elapsed());
                Func<double> rateNow = budget is null ? () => config.LearningRateAt(epochIndex) : () => learningRate = budget.LearningRateAt(Elapsed());
                var train = trainer.TrainWindows(corpus.Train, rateNow, budget is null ? null : OutOfTime, epoch + 1, progress, cancellationToken);

                var epochEnd = Stopwatch.StartNew();
                PassResult valid;
                using (trainer.Averager?.SwapIn())
                    valid = Evaluate(model, corpus.Valid, config.BatchSize, config.NumSteps, TrainingPhase.Valid, epoch + 1, progress, cancellationToken);
                var metrics = new EpochMetrics(epoch + 1, learningRate, train.Perplexity, valid.Perplexity, train.Seconds, train.WordsPerSecond)
                {
                    ElapsedSeconds = Elapsed().TotalSeconds,
                };

                if (config.AveragedSgd && trainer.Averager is null &&
                    ValidationStalled(epochs.Select(e => e.ValidPerplexity).ToList(), valid.Perplexity, config.NonmonotoneInterval))
                    trainer.StartAveraging();
                epochs.Add(metrics);

                bool isBest = valid.Perplexity < best;
                if (isBest) best = valid.Perplexity;
                if (options.LatestCheckpointPath is not null || (isBest && options.BestCheckpointPath is not null))
                {
                    using var randomState = random.get_rng_state();
                    var state = new TrainingState(epoch + 1, learningRate, best, seed, epochs.ToArray(), randomState.data<byte>().ToArray())
                    {
                        ElapsedSeconds = Elapsed().TotalSeconds,
                    };
                    using var averaged = trainer.Averager is { Count: > 0 } averager ? averager.SwapIn() : null;
                    if (options.LatestCheckpointPath is { } latest) Checkpoint.Save(latest, model, corpus.Vocabulary, state);
                    if (isBest && options.BestCheckpointPath is { } bestPath) Checkpoint.Save(bestPath, model, corpus.Vocabulary, state);
                }
                longestEpochEndSeconds = Math.Max(longestEpochEndSeconds ?? 0, epochEnd.Elapsed.TotalSeconds);
                progress?.Report(new TrainingProgress(TrainingPhase.Valid, epoch + 1, 0, 0, valid.Perplexity, valid.WordsPerSecond, metrics));
                if (budget is not null && train.TimeSteps < (long)PtbReader.EpochSize(corpus.Train.Length, config.BatchSize, config.NumSteps) * config.NumSteps)
                    break; // the budget ended this epoch early
            }
            trainer.Averager?.CommitToParameters();

            double? test = options.RunTest ? EvaluateTest(model, corpus.Test, epochs.Count, progress, cancellationToken).Perplexity : null;
            return (new TrainingResult(config, device.ToString(), seed, epochs, test), model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// NT-ASGD's trigger (Merity et al. 2017): the new validation perplexity is worse than the best of the epochs that
    /// ended more than <paramref name="interval"/> epochs before it.
    /// </summary>
    internal static bool ValidationStalled(IReadOnlyList<double> earlier, double latest, int interval) =>
        earlier.Count > interval && latest > earlier.Take(earlier.Count - interval).Min();

    /// <summary>One training pass over <paramref name="ids"/> at <paramref name="learningRate"/>.</summary>
    /// <param name="ids">The training split.</param>
    /// <param name="learningRate">The SGD learning rate for the whole pass.</param>
    /// <param name="epoch">The 1-based epoch, for reports and errors.</param>
    /// <param name="progress">Receives a report after every window.</param>
    /// <param name="cancellationToken">Stops the pass between two windows.</param>
    /// <exception cref="TrainingDivergedException">The cost became NaN or infinite.</exception>
    public PassResult TrainEpoch(int[] ids, double learningRate, int epoch = 1,
                                 IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        return TrainWindows(ids, () => learningRate, null, epoch, progress, cancellationToken);
    }

    /// <summary>
    /// The averaged-SGD iterate average, once <see cref="StartAveraging"/> has been called: every optimizer step
    /// adds the new parameters to it.
    /// </summary>
    public ParameterAverager? Averager { get; private set; }

    /// <summary>Starts averaging the iterates of every following step (averaged SGD).</summary>
    public void StartAveraging() => Averager ??= new ParameterAverager(_parameters);

    /// <summary>
    /// A training pass that asks <paramref name="learningRate"/> for the rate before every window and stops early, with
    /// the windows done so far, once <paramref name="outOfTime"/> (given the pass's words per second) says so.
    /// </summary>
    internal PassResult TrainWindows(int[] ids, Func<double> learningRate, Func<double, bool>? outOfTime, int epoch,
                                     IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var config = Model.Config;
        bool regularizeActivations = config.ActivationRegularization > 0 || config.TemporalActivationRegularization > 0;
        using var weightDrop = config.WeightDrop > 0 ? new WeightDrop(Model, config.WeightDrop) : null;

        Model.train();
        int windows = PtbReader.EpochSize(ids.Length, config.BatchSize, config.NumSteps);
        var clock = Stopwatch.StartNew();
        double costs = 0;
        int done = 0;
        var state = Model.ZeroState(config.BatchSize);
        try
        {
            foreach (var batch in PtbReader.Batches(ids, config.BatchSize, config.NumSteps))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (batch)
                {
                    if (done > 0 && outOfTime is not null && outOfTime((double)done * config.NumSteps * config.BatchSize / clock.Elapsed.TotalSeconds))
                        break;
                    double rate = learningRate();
                    foreach (var group in _optimizer.ParamGroups) group.LearningRate = rate;
                    using (NewDisposeScope())
                    {
                        weightDrop?.Apply();
                        Tensor cost;
                        LstmState next;
                        try
                        {
                            var (logits, nextState, lastOutput, droppedOutput) = Model.Run(batch.Input, state);
                            next = nextState;
                            cost = SequenceLoss.Compute(logits, batch.Target.to(Model.Device)).sum();
                            var objective = regularizeActivations
                                ? cost + ActivationRegularization.Penalty(lastOutput, droppedOutput, config.ActivationRegularization, config.TemporalActivationRegularization)
                                : cost;
                            _optimizer.zero_grad();
                            objective.backward();
                        }
                        finally
                        {
                            weightDrop?.Restore();
                        }
                        nn.utils.clip_grad_norm_(_parameters, config.MaxGradNorm);
                        _optimizer.step();
                        Averager?.Update();

                        double value = cost.item<float>();
                        if (!double.IsFinite(value)) throw new TrainingDivergedException(epoch, batch.Index + 1, value);
                        costs += value;
                        var carried = next.Detach();
                        state.Dispose();
                        state = carried;
                    }
                    done++;
                }
                Report(progress, TrainingPhase.Train, epoch, done, windows, costs, (long)done * config.NumSteps, config.BatchSize, clock);
            }
        }
        finally
        {
            state.Dispose();
        }
        return Result(costs, (long)done * config.NumSteps, config.BatchSize, clock);
    }

    /// <summary>
    /// Perplexity of <paramref name="model"/> on <paramref name="ids"/>, in eval mode and without gradients, the state
    /// starting at zero and carried across windows.
    /// </summary>
    /// <remarks>
    /// With <paramref name="batchSize"/> &gt; 1 the tokens are TensorFlow's windows (<see cref="PtbReader.Batches"/>),
    /// run a few at a time (the state is carried across them, so the numbers agree to rounding). With batch
    /// size 1 a last, shorter window covers the tokens that do not fill a whole one, so every token after the first is
    /// predicted exactly once: the same numbers as TensorFlow's test pass at <c>num_steps = 1</c>, many times faster.
    /// </remarks>
    public static PassResult Evaluate(PtbLanguageModel model, int[] ids, int batchSize, int numSteps,
                                      TrainingPhase phase = TrainingPhase.Valid, int epoch = 0,
                                      IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        EvaluateInGroups(model, ids, batchSize, numSteps, EvaluationGroupSteps, HeadChunkElements, phase, epoch, progress, cancellationToken);

    /// <summary><see cref="Evaluate"/> with the sizes of its LSTM calls and of its logits chunks given (for tests).</summary>
    internal static PassResult EvaluateInGroups(PtbLanguageModel model, int[] ids, int batchSize, int numSteps, int groupSteps, long headChunkElements,
                                                TrainingPhase phase = TrainingPhase.Valid, int epoch = 0,
                                                IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        // Checked here, not in the lazy window iterators, so that a bad size fails on the call.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numSteps);
        int windowCount = batchSize == 1
            ? (PtbReader.EpochSize(ids.Length, 1, 1) + numSteps - 1) / numSteps // EpochSize(n, 1, 1) = n - 1 predictions
            : PtbReader.EpochSize(ids.Length, batchSize, numSteps);
        var windows = batchSize == 1
            ? WholeStream(ids, numSteps)
            : JoinWindows(PtbReader.Batches(ids, batchSize, numSteps), Math.Max(1, groupSteps / numSteps));
        // The head's logits for all of a window would be [B, T, V]; computing them a few time steps at a time keeps
        // them near 32 MB, where a whole joined window would need hundreds.
        int headSteps = (int)Math.Max(1, headChunkElements / ((long)batchSize * model.VocabularySize));

        bool wasTraining = model.training;
        model.eval();
        var clock = Stopwatch.StartNew();
        double costs = 0;
        long steps = 0;
        var state = model.ZeroState(batchSize);
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in windows)
            {
                using (batch)
                using (NewDisposeScope())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (_, features, next) = model.Encode(batch.Input, state);
                    var target = batch.Target.to(model.Device);
                    long length = target.shape[1];
                    var windowCost = zeros(1, float64, model.Device);
                    for (long start = 0; start < length; start += headSteps)
                    {
                        using var chunk = NewDisposeScope();
                        long count = Math.Min(headSteps, length - start);
                        var logits = model.Head(features.narrow(1, start, count));
                        windowCost.add_(SequenceLoss.Compute(logits, target.narrow(1, start, count)).sum().to(float64));
                    }
                    costs += windowCost.item<double>();
                    steps += length;
                    var carried = next.Detach();
                    state.Dispose();
                    state = carried;
                }
                Report(progress, phase, epoch, batch.Index + 1, windowCount, costs, steps, batchSize, clock);
            }
        }
        finally
        {
            state.Dispose();
            model.train(wasTraining);
        }
        return Result(costs, steps, batchSize, clock);
    }

    /// <summary>
    /// About how many time steps the validation pass runs through the LSTM per call: TensorFlow's windows are joined
    /// in groups this long. The state is carried either way, so the numbers agree to rounding; the fused LSTM kernel's
    /// per-call setup (it re-lays out the weights on every call) is paid once per group, not once per window.
    /// </summary>
    internal const int EvaluationGroupSteps = 512;

    /// <summary>About how many logits the evaluation passes compute at once (2^23 floats, 32 MB), but at least one time step's.</summary>
    internal const long HeadChunkElements = 1L << 23;

    /// <summary>TensorFlow's windows <paramref name="perGroup"/> at a time, joined along time; indexed by their last window.</summary>
    private static IEnumerable<PtbBatch> JoinWindows(IEnumerable<PtbBatch> windows, int perGroup)
    {
        var group = new List<PtbBatch>(perGroup);
        foreach (var window in windows)
        {
            group.Add(window);
            if (group.Count == perGroup) yield return Join(group);
        }
        if (group.Count > 0) yield return Join(group);

        static PtbBatch Join(List<PtbBatch> group)
        {
            if (group.Count == 1)
            {
                var only = group[0];
                group.Clear();
                return only;
            }
            try
            {
                return new PtbBatch(group[^1].Index, cat(group.Select(w => w.Input).ToArray(), 1), cat(group.Select(w => w.Target).ToArray(), 1));
            }
            finally
            {
                group.ForEach(w => w.Dispose());
                group.Clear();
            }
        }
    }

    /// <summary>Time steps per window of the test pass: longer windows give the same numbers, with far fewer calls.</summary>
    public const int TestWindowSteps = 200;

    /// <summary>
    /// The test pass as TensorFlow defines it: batch size 1, the state carried over the whole split from a zero start,
    /// every token after the first predicted once. Run in windows of <see cref="TestWindowSteps"/>.
    /// </summary>
    public static PassResult EvaluateTest(PtbLanguageModel model, int[] ids, int epoch = 0,
                                          IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Evaluate(model, ids, 1, TestWindowSteps, TrainingPhase.Test, epoch, progress, cancellationToken);

    /// <summary>Batch-1 windows of <paramref name="numSteps"/> over the whole stream, the last one shorter.</summary>
    private static IEnumerable<PtbBatch> WholeStream(int[] ids, int numSteps)
    {
        int index = 0;
        for (int start = 0; start < ids.Length - 1; start += numSteps, index++)
        {
            int length = Math.Min(numSteps, ids.Length - 1 - start);
            var input = new long[length];
            var target = new long[length];
            for (int t = 0; t < length; t++)
            {
                input[t] = ids[start + t];
                target[t] = ids[start + t + 1];
            }
            yield return new PtbBatch(index, tensor(input, [1, length]), tensor(target, [1, length]));
        }
    }

    private static void Report(IProgress<TrainingProgress>? progress, TrainingPhase phase, int epoch, int window, int windowCount,
                               double costs, long steps, int batchSize, Stopwatch clock)
    {
        if (progress is null) return;
        double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        progress.Report(new TrainingProgress(phase, epoch, window, windowCount, Math.Exp(costs / steps), steps * batchSize / seconds));
    }

    private static PassResult Result(double costs, long steps, int batchSize, Stopwatch clock)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        double perplexity = steps == 0 ? double.NaN : Math.Exp(costs / steps);
        return new PassResult(perplexity, costs, steps, seconds, steps * batchSize / Math.Max(seconds, 1e-9));
    }

    /// <summary>Releases the optimizer and the iterate average.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        Averager?.Dispose();
    }
}
