using System.CommandLine;
using System.Runtime.InteropServices;
using LanguageModel;
using Ptb;

// The `ptb` command: one subcommand per job. Each handler returns the process exit code.
TerminationSignals.BlockOnThisThread(); // before libtorch starts any thread: see TerminationSignals
var root = new RootCommand("Train, evaluate and use LSTM language models on the Penn Treebank (TensorFlow PTB tutorial semantics).");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ModelCommands.Eval());
root.Subcommands.Add(ModelCommands.Score());
root.Subcommands.Add(ModelCommands.Generate());
root.Subcommands.Add(ModelCommands.Export());
root.Subcommands.Add(PlotCommand.Create());
root.Subcommands.Add(StatsCommand.Create());
root.Subcommands.Add(MakeCorpusCommand.Create());
root.Subcommands.Add(Ptb.Benchmarks.BenchCommand.Create());
var mklGeneric = new Option<bool>("--mkl-generic")
{
    Description = "Keep oneMKL's generic kernels on AMD processors (by default the fast ones are switched on, see MklCpuDispatch).",
    Recursive = true,
};
root.Options.Add(mklGeneric);
var parsed = root.Parse(args);
// Before any command builds a model: oneMKL settles its kernel choice on its first call. The allocator setting
// changes no number, only page faults (see MallocTuning).
Startup.Mkl = parsed.GetValue(mklGeneric) || parsed.Errors.Count > 0 ? null : MklCpuDispatch.EnableFastKernels();
Startup.Malloc = MallocTuning.KeepLargeBlocks();

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
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
