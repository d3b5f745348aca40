using System.Text.Json;

namespace LanguageModel.Tests.Support;

/// <summary>The corpus the repository ships in data/markov, and the perplexity of the chain that generated it.</summary>
public static class MarkovCorpusData
{
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "markov");
                if (File.Exists(Path.Combine(candidate, "source.json"))) return candidate;
            }
            throw new DirectoryNotFoundException($"data/markov not found above {AppContext.BaseDirectory}");
        }
    }

    private static readonly Lazy<PtbCorpus> Lazy = new(() => PtbReader.Load(Directory));

    public static PtbCorpus Corpus => Lazy.Value;

    public static double OraclePerplexity(string split)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "source.json")));
        return json.RootElement.GetProperty("oracle_perplexity").GetProperty(split).GetDouble();
    }
}
