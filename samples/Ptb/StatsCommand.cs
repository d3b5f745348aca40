using System.CommandLine;
using System.Diagnostics;
using LanguageModel;

namespace Ptb;

/// <summary><c>ptb stats</c>: reads a corpus and prints its vocabulary, token counts and windows per epoch.</summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Directory with ptb.train.txt, ptb.valid.txt and ptb.test.txt, or one NAME.train/valid/test.txt set (default: as for train)." };
        var command = new Command("stats", "Read a PTB-format corpus and print its statistics.") { data };
        command.SetAction((result, cancellationToken) => CliErrors.Run(async () =>
        {
            string directory = await DataLocator.Resolve(result.GetValue(data), cancellationToken);
            var clock = Stopwatch.StartNew();
            var corpus = PtbReader.Load(directory);
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{Path.GetFullPath(directory)} read in {seconds:F2} s");
            Console.WriteLine($"vocabulary: {corpus.Vocabulary.Count:N0} words; first ten: {string.Join(" ", corpus.Vocabulary.Words.Take(10))}");
            Console.WriteLine($"tokens (with <eos>): train {corpus.Train.Length:N0}, valid {corpus.Valid.Length:N0}, test {corpus.Test.Length:N0}");
            foreach (var preset in PtbConfig.Presets)
            {
                int batchLength = corpus.Train.Length / preset.BatchSize;
                string windows = batchLength > preset.NumSteps ? $"{(batchLength - 1) / preset.NumSteps:N0}" : "none (the training split is too short)";
                Console.WriteLine($"{preset.Name,-7} windows per training epoch: {windows}");
            }
            return 0;
        }));
        return command;
    }
}
