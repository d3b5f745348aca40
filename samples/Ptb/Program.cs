using System.CommandLine;
using System.Runtime.InteropServices;
using Ptb;

// The `ptb` command: one subcommand per job. Each handler returns the process exit code.
var root = new RootCommand("Train, evaluate and use LSTM language models on the Penn Treebank (TensorFlow PTB tutorial semantics).");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ModelCommands.Eval());
root.Subcommands.Add(ModelCommands.Score());
root.Subcommands.Add(ModelCommands.Generate());
root.Subcommands.Add(ModelCommands.Export());
root.Subcommands.Add(StatsCommand.Create());
root.Subcommands.Add(MakeCorpusCommand.Create());
root.Subcommands.Add(Ptb.Benchmarks.BenchCommand.Create());

// The first Ctrl+C (or SIGTERM) asks the running command to stop between two steps, so that it can keep its last
// complete checkpoint and say where it is; a second Ctrl+C ends the process at once.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (stop.IsCancellationRequested) return;
    e.Cancel = true;
    Console.Error.WriteLine("ptb: stopping after the current step (Ctrl+C again to quit at once) ...");
    stop.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
