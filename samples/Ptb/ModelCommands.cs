using System.CommandLine;
using System.Text;
using LanguageModel;

namespace Ptb;

/// <summary><c>ptb eval</c>, <c>ptb score</c> and <c>ptb generate</c>: use a saved checkpoint.</summary>
internal static class ModelCommands
{
    private static Option<string> ModelOption() => new("--model") { Description = "Checkpoint written by train --save or --save-latest, or a .safetensors file written by export.", Required = true };

    /// <summary>A checkpoint, or a safetensors file (recognised by its extension) written by <c>ptb export</c>.</summary>
    private static Checkpoint LoadModel(string path, string device) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? Checkpoint.ImportSafetensors(path, device) : Checkpoint.Load(path, device);

    public static Command Export()
    {
        var model = ModelOption();
        var output = new Option<string>("--out") { Description = "The .safetensors file to write.", Required = true };
        var command = new Command("export", "Write a checkpoint's weights as safetensors (PyTorch names; config and vocabulary in the metadata).") { model, output };
        command.SetAction((result, _) => CliErrors.Run(() =>
        {
            using var checkpoint = LoadModel(result.GetValue(model)!, "cpu");
            string path = result.GetValue(output)!;
            Checkpoint.ExportSafetensors(path, checkpoint.Model, checkpoint.Vocabulary);
            Console.WriteLine($"Wrote {Path.GetFullPath(path)}: {string.Join(", ", Checkpoint.WeightNames(checkpoint.Model.Config))}");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Option<string> DeviceOption() => new("--device") { Description = "auto (CUDA when available), cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };

    public static Command Eval()
    {
        var model = ModelOption();
        var device = DeviceOption();
        var data = new Option<string?>("--data") { Description = "Directory with ptb.train.txt, ptb.valid.txt and ptb.test.txt, or one NAME.train/valid/test.txt set (default: as for train)." };
        var split = new Option<string>("--split") { Description = "valid (batch size and steps of the config, as after each epoch) or test (batch size 1, as at the end).", DefaultValueFactory = _ => "valid" };
        split.AcceptOnlyFromAmong("valid", "test");
        var command = new Command("eval", "Print the perplexity of a checkpoint on a split of a corpus.") { model, data, split, device };
        command.SetAction((result, cancellationToken) => CliErrors.Run(async () =>
        {
            string directory = await DataLocator.Resolve(result.GetValue(data), cancellationToken);
            var corpus = PtbReader.Load(directory);
            string path = result.GetValue(model)!;
            using var checkpoint = LoadModel(path, result.GetValue(device)!);
            if (checkpoint.Vocabulary.FirstDifference(corpus.Vocabulary) is { } difference)
                throw new InvalidDataException($"{path}: the checkpoint's vocabulary differs from that of {Path.GetFullPath(directory)}: {difference}.");
            var config = checkpoint.Model.Config;
            bool test = result.GetValue(split) == "test";
            var pass = test
                ? PtbTrainer.EvaluateTest(checkpoint.Model, corpus.Test, cancellationToken: cancellationToken)
                : PtbTrainer.Evaluate(checkpoint.Model, corpus.Valid, config.BatchSize, config.NumSteps, TrainingPhase.Valid, cancellationToken: cancellationToken);
            Console.WriteLine($"{(test ? "test" : "valid")} perplexity: {pass.Perplexity:F3} ({pass.TimeSteps * (test ? 1 : config.BatchSize):N0} words, {pass.Seconds:F1} s)");
            return 0;
        }));
        return command;
    }

    public static Command Score()
    {
        var model = ModelOption();
        var device = DeviceOption();
        var input = new Option<string?>("--input") { Description = "Text file, one sentence per line (default: standard input)." };
        var command = new Command("score", "Print the log-probability and perplexity of each sentence, then of the whole text.") { model, input, device };
        command.SetAction((result, cancellationToken) => CliErrors.Run(() =>
        {
            using var checkpoint = LoadModel(result.GetValue(model)!, result.GetValue(device)!);
            string? inputPath = result.GetValue(input);
            string text = inputPath is null ? Console.In.ReadToEnd() : ReadText(inputPath);
            var score = new TextScorer(checkpoint.Model, checkpoint.Vocabulary).Score(text.Split('\n').Where(l => !string.IsNullOrWhiteSpace(l)), cancellationToken);
            Console.WriteLine("perplexity  log-prob  sentence ([word] = not in the vocabulary, scored as <unk>)");
            foreach (var sentence in score.Sentences)
            {
                string words = string.Join(' ', sentence.Tokens.SkipLast(1).Select(t => t.IsUnknown ? $"[{t.Word}]" : t.Word));
                Console.WriteLine($"{sentence.Perplexity,10:F2}  {sentence.LogProbability,8:F2}  {words}");
            }
            Console.WriteLine($"total: {score.Sentences.Count} sentences, {score.TokenCount} tokens, log-prob {score.LogProbability:F2}, perplexity {score.Perplexity:F2}");
            return Task.FromResult(0);
        }));
        return command;
    }

    public static Command Generate()
    {
        var model = ModelOption();
        var device = DeviceOption();
        var prompt = new Option<string>("--prompt") { Description = "Words to continue (PTB tokenisation); empty starts a new sentence.", DefaultValueFactory = _ => "" };
        var words = new Option<int>("--words") { Description = "The most words to produce.", DefaultValueFactory = _ => 50 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int?>("--top-k") { Description = "Sample among the K most likely words only." };
        var topP = new Option<double?>("--top-p") { Description = "Sample among the most likely words whose probabilities add up to P (nucleus)." };
        var seed = new Option<int?>("--seed") { Description = "Seed for sampling: the same seed gives the same text." };
        var stop = new Option<bool>("--stop-at-eos") { Description = "Stop at the end of the first sentence." };
        var command = new Command("generate", "Continue a prompt with a checkpoint, printing words as they come.")
            { model, prompt, words, temperature, topK, topP, seed, stop, device };
        command.SetAction((result, cancellationToken) => CliErrors.Run(() =>
        {
            var options = new GenerationOptions
            {
                MaxWords = result.GetValue(words),
                Temperature = result.GetValue(temperature),
                TopK = result.GetValue(topK),
                TopP = result.GetValue(topP),
                Seed = result.GetValue(seed),
                StopAtEndOfSentence = result.GetValue(stop),
            }.Validate();
            using var checkpoint = LoadModel(result.GetValue(model)!, result.GetValue(device)!);
            string text = result.GetValue(prompt)!;
            var generator = new TextGenerator(checkpoint.Model, checkpoint.Vocabulary);
            if (!string.IsNullOrWhiteSpace(text)) Console.Write(text.Trim() + " ");
            foreach (string word in generator.Generate(text, options, cancellationToken))
                Console.Write(word == Vocabulary.EndOfSentence ? "\n" : word + " ");
            Console.WriteLine();
            return Task.FromResult(0);
        }));
        return command;
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 text.", e);
        }
    }
}
