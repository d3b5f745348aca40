using System.Text.Json;
using System.Text.Json.Serialization;
using LanguageModel;

namespace Ptb;

/// <summary>
/// The <c>--metrics</c> JSON: <c>{"config": {...}, "device": "...", "epochs": [...], "test_perplexity": ...}</c>,
/// snake_case, rewritten atomically (temporary file, then rename) after every epoch so that an interrupted run keeps what it measured.
/// </summary>
internal static class MetricsFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public static void Write(string path, PtbConfig config, string device, int seed, IReadOnlyList<EpochMetrics> epochs, double? testPerplexity)
    {
        var document = new
        {
            Config = new
            {
                config.Name, config.InitScale, config.LearningRate, config.MaxGradNorm, config.NumLayers, config.NumSteps,
                config.HiddenSize, config.MaxEpoch, config.MaxMaxEpoch, config.KeepProb, config.LrDecay, config.BatchSize,
                config.EmbeddingSize, config.TieWeights, config.LockedDropout, config.InputDropout, config.HiddenDropout, config.OutputDropout,
                config.EmbeddingDropout, config.WeightDrop, config.ActivationRegularization, config.TemporalActivationRegularization,
                config.AveragedSgd, TimeBudgetMinutes = config.TimeBudget?.TotalMinutes,
            },
            Device = device,
            Seed = seed,
            Epochs = epochs,
            TestPerplexity = testPerplexity,
        };
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, document, Options));
    }
}
