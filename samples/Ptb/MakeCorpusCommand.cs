using System.CommandLine;

namespace Ptb;

/// <summary><c>ptb make-corpus</c>: regenerates the bundled Markov corpus (data/markov) from its seed.</summary>
internal static class MakeCorpusCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory to write markov.{train,valid,test}.txt and source.json to.", DefaultValueFactory = _ => Path.Combine("data", "markov") };
        var seed = new Option<int>("--seed") { Description = "Seed of the chain and of the sampled text.", DefaultValueFactory = _ => 2014 };
        var command = new Command("make-corpus", "Generate a small PTB-format corpus from a seeded Markov chain whose perplexity is known.") { output, seed };
        command.SetAction((result, _) => CliErrors.Run(() =>
        {
            string directory = result.GetValue(output)!;
            MarkovCorpus.Generate(directory, result.GetValue(seed), trainTokens: 60_000, validTokens: 6_000, testTokens: 6_000);
            Console.WriteLine($"Wrote {Path.GetFullPath(directory)}: {File.ReadAllText(Path.Combine(directory, "source.json"))}");
            return Task.FromResult(0);
        }));
        return command;
    }
}
