using System.Diagnostics;
using LanguageModel;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ptb.Benchmarks;

/// <summary>
/// Where a training step's time goes: the step of <see cref="PtbTrainer.TrainEpoch"/> cut into phases, each timed on
/// its own (the CPU runs torch operations synchronously, so a stopwatch around a phase measures that phase).
/// </summary>
internal static class StepProfile
{
    public static IReadOnlyDictionary<string, double> Measure(PtbConfig config, int[] trainIds, int vocabularySize, int windows)
    {
        random.manual_seed(1);
        using var model = new PtbLanguageModel(config, vocabularySize, CPU);
        var parameters = model.parameters().ToArray();
        using var optimizer = optim.SGD(parameters, config.LearningRate);
        var modules = model.named_children().ToDictionary(c => c.name, c => c.module);
        var embedding = (Embedding)modules["embedding"];
        var lstm = (LSTM)modules["lstm"];
        var softmax = (Linear)modules["softmax"];

        var totals = new Dictionary<string, double>();
        var clock = new Stopwatch();
        void Time(string phase, Action action)
        {
            clock.Restart();
            action();
            totals[phase] = totals.GetValueOrDefault(phase) + clock.Elapsed.TotalMilliseconds;
        }

        var state = model.ZeroState(config.BatchSize);
        int done = 0;
        foreach (var batch in PtbReader.Batches(OurBenchmarks.Windows(trainIds, config, windows + 2), config.BatchSize, config.NumSteps))
        {
            using (batch)
            using (NewDisposeScope())
            {
                Tensor x = null!, output = null!, hidden = null!, cell = null!, logits = null!, cost = null!;
                Time("embedding", () => x = embedding.call(batch.Input));
                Time("lstm forward", () => (output, hidden, cell) = lstm.call(x, (state.Hidden, state.Cell)));
                Time("softmax head forward", () => logits = softmax.call(output));
                Time("loss (log-softmax + nll)", () => cost = SequenceLoss.Compute(logits, batch.Target).sum());
                Time("zero_grad", () => optimizer.zero_grad());
                Time("backward", () => cost.backward());
                Time("clip_grad_norm", () => nn.utils.clip_grad_norm_(parameters, config.MaxGradNorm));
                Time("sgd step", () => optimizer.step());
                Time("cost.item + state detach", () =>
                {
                    cost.item<float>();
                    var carried = new LstmState(hidden, cell).Detach();
                    state.Dispose();
                    state = carried;
                });
            }
            // The first two windows warm up caches and allocators; they are not counted.
            if (++done == 2) totals.Clear();
        }
        state.Dispose();
        return totals.ToDictionary(t => t.Key, t => t.Value / windows);
    }
}
