using System.CommandLine;
using Ptb;

// The `ptb` command: one subcommand per job. Each handler returns the process exit code.
var root = new RootCommand("Train, evaluate and use LSTM language models on the Penn Treebank (TensorFlow PTB tutorial semantics).");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ModelCommands.Eval());
root.Subcommands.Add(ModelCommands.Score());
root.Subcommands.Add(ModelCommands.Generate());
root.Subcommands.Add(StatsCommand.Create());
root.Subcommands.Add(MakeCorpusCommand.Create());
return await root.Parse(args).InvokeAsync();
