using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// A saved model: its configuration, vocabulary and weights, and for training checkpoints the state needed to
/// resume. Loading needs nothing else: no data directory, no configuration flags.
/// </summary>
/// <remarks>
/// <para>The file is a zip archive holding <c>manifest.json</c> (format name and version, the configuration, and the
/// SHA-256 of every other entry), <c>vocabulary.txt</c> (one word per line, in id order), <c>model.safetensors</c>
/// (the weights, under the names listed by <see cref="WeightNames(PtbConfig)"/>) and, for training checkpoints,
/// <c>training.json</c> and <c>random.bin</c>.</para>
/// <para>Writes are atomic: the archive is written to a temporary file in the same directory, flushed to disk, then
/// renamed over the target, so a crash never leaves a half-written checkpoint where a good one was.</para>
/// </remarks>
public sealed class Checkpoint : IDisposable
{
    /// <summary>The format version this library writes, and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const string FormatName = "LanguageModel.PtbCheckpoint";
    private const string ManifestEntry = "manifest.json";
    private const string VocabularyEntry = "vocabulary.txt";
    private const string WeightsEntry = "model.safetensors";
    private const string TrainingEntry = "training.json";
    private const string RandomEntry = "random.bin";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    private Checkpoint(PtbLanguageModel model, Vocabulary vocabulary, TrainingState? training)
    {
        Model = model;
        Vocabulary = vocabulary;
        Training = training;
    }

    /// <summary>The model, with the saved weights, on the device asked for.</summary>
    public PtbLanguageModel Model { get; }

    /// <summary>The vocabulary the model was trained with.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The training state, for checkpoints written during training; null for a model saved on its own.</summary>
    public TrainingState? Training { get; }

    /// <summary>
    /// The weight names of TensorFlow's presets, which are also the names in exported safetensors files. They match a
    /// PyTorch module with <c>embedding = nn.Embedding(V, H)</c>, <c>lstm = nn.LSTM(H, H, layers, batch_first=True)</c>
    /// and <c>softmax = nn.Linear(H, V)</c>.
    /// </summary>
    public static IReadOnlyList<string> WeightNames(int numLayers) =>
        ["embedding.weight", .. Enumerable.Range(0, numLayers).SelectMany(l => new[]
            { $"lstm.weight_ih_l{l}", $"lstm.weight_hh_l{l}", $"lstm.bias_ih_l{l}", $"lstm.bias_hh_l{l}" }),
         "softmax.weight", "softmax.bias"];

    /// <summary>
    /// The weight names of a model of <paramref name="config"/>. Models that run their layers one by one (see
    /// <see cref="PtbConfig.RunsLayerByLayer"/>) have one single-layer LSTM per layer, <c>lstm.K.weight_ih_l0</c> and so on
    /// (a PyTorch <c>nn.ModuleList</c> of <c>nn.LSTM</c>); tied models have no <c>softmax.weight</c>, their head uses
    /// <c>embedding.weight</c>.
    /// </summary>
    public static IReadOnlyList<string> WeightNames(PtbConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        IEnumerable<string> Layer(string prefix, string suffix) =>
            [$"{prefix}weight_ih_{suffix}", $"{prefix}weight_hh_{suffix}", $"{prefix}bias_ih_{suffix}", $"{prefix}bias_hh_{suffix}"];
        var lstm = Enumerable.Range(0, config.NumLayers).SelectMany(l => config.RunsLayerByLayer ? Layer($"lstm.{l}.", "l0") : Layer("lstm.", $"l{l}"));
        return ["embedding.weight", .. lstm, .. config.TieWeights ? Array.Empty<string>() : ["softmax.weight"], "softmax.bias"];
    }

    /// <summary>Saves a model and its vocabulary (and, during training, the training state) to <paramref name="path"/>, atomically.</summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the model's.</exception>
    /// <exception cref="IOException">The file cannot be written; a previous file at <paramref name="path"/> is left as it was.</exception>
    public static void Save(string path, PtbLanguageModel model, Vocabulary vocabulary, TrainingState? training = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count != model.VocabularySize)
            throw new ArgumentException($"The vocabulary has {vocabulary.Count} words but the model predicts {model.VocabularySize}.", nameof(vocabulary));

        var entries = new Dictionary<string, byte[]>
        {
            [VocabularyEntry] = Encoding.UTF8.GetBytes(string.Join('\n', vocabulary.Words) + "\n"),
            [WeightsEntry] = SafeTensors.Serialize(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))),
        };
        if (training is not null)
        {
            entries[TrainingEntry] = JsonSerializer.SerializeToUtf8Bytes(training with { RandomState = [] }, Json);
            entries[RandomEntry] = training.RandomState;
        }
        var manifest = new Manifest(FormatName, FormatVersion, LibraryVersion, ConfigDto.From(model.Config), vocabulary.Count,
                                    entries.ToDictionary(e => e.Key, e => Convert.ToHexStringLower(SHA256.HashData(e.Value))));

        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            void Add(string name, byte[] bytes)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                entry.Write(bytes);
            }
            Add(ManifestEntry, JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
            foreach (var (name, bytes) in entries) Add(name, bytes);
        });
    }

    /// <summary>Loads a checkpoint onto <paramref name="device"/> (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, truncated, corrupted, of a newer format version, or its
    /// weights, configuration and vocabulary do not fit together. The message names the file and the problem.</exception>
    public static Checkpoint Load(string path, string device = "auto") => Load(path, TorchDevice.Resolve(device));

    /// <summary>Loads a checkpoint onto <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, truncated, corrupted, of a newer format version, or its
    /// weights, configuration and vocabulary do not fit together. The message names the file and the problem.</exception>
    public static Checkpoint Load(string path, Device device)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(device);
        var entries = ReadEntries(path);
        var info = ReadInfo(entries, path);
        var config = info.Config;
        var words = Encoding.UTF8.GetString(Require(entries, VocabularyEntry, path)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Vocabulary vocabulary;
        try
        {
            vocabulary = new Vocabulary(words);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's vocabulary is invalid: {e.Message}", e);
        }
        if (vocabulary.Count != info.VocabularySize)
            throw new InvalidDataException($"{path}: the vocabulary holds {vocabulary.Count} words but the manifest says {info.VocabularySize}.");

        var model = BuildModel(path, config, vocabulary, SafeTensors.Deserialize(Require(entries, WeightsEntry, path), $"{path}: {WeightsEntry}").Tensors, device);
        return new Checkpoint(model, vocabulary, info.Training);
    }

    /// <summary>Reads what a checkpoint describes (configuration, vocabulary size, training state) without building the model.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, truncated, corrupted or of a newer format version.</exception>
    public static CheckpointInfo Inspect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ReadInfo(ReadEntries(path), path);
    }

    private static CheckpointInfo ReadInfo(Dictionary<string, byte[]> entries, string path)
    {
        var manifest = Parse<Manifest>(entries, ManifestEntry, path);
        if (manifest.Format != FormatName)
            throw new InvalidDataException($"{path}: not a LanguageModel checkpoint (format '{manifest.Format}').");
        if (manifest.FormatVersion > FormatVersion)
            throw new InvalidDataException($"{path}: checkpoint format version {manifest.FormatVersion} is newer than this library reads ({FormatVersion}); update the LanguageModel package.");
        foreach (var (name, expected) in manifest.Entries)
        {
            if (!entries.TryGetValue(name, out var bytes))
                throw new InvalidDataException($"{path}: the checkpoint lacks its '{name}' entry (truncated or corrupted).");
            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != expected)
                throw new InvalidDataException($"{path}: the checkpoint's '{name}' entry is corrupted (its SHA-256 does not match the manifest).");
        }

        PtbConfig config;
        try
        {
            config = manifest.Config.ToConfig().Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's configuration is invalid: {e.Message}", e);
        }
        TrainingState? training = entries.ContainsKey(TrainingEntry)
            ? Parse<TrainingState>(entries, TrainingEntry, path) with { RandomState = Require(entries, RandomEntry, path) }
            : null;
        return new CheckpointInfo(config, manifest.VocabularySize, manifest.FormatVersion, training);
    }

    /// <summary>
    /// Writes the weights as a safetensors file (names as in <see cref="WeightNames(PtbConfig)"/>), with the configuration and the
    /// vocabulary in its metadata, so that PyTorch users can load it and <see cref="ImportSafetensors"/> can read it back.
    /// </summary>
    public static void ExportSafetensors(string path, PtbLanguageModel model, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["config"] = JsonSerializer.Serialize(ConfigDto.From(model.Config), Json),
            ["vocabulary"] = string.Join('\n', vocabulary.Words),
        };
        byte[] bytes = SafeTensors.Serialize(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), metadata);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Reads a safetensors file written by <see cref="ExportSafetensors"/> (or by PyTorch with the same names and metadata).</summary>
    /// <exception cref="InvalidDataException">The file is malformed, lacks the configuration or vocabulary metadata, or its weights do not fit.</exception>
    public static Checkpoint ImportSafetensors(string path, string device = "auto")
    {
        ArgumentNullException.ThrowIfNull(path);
        var resolved = TorchDevice.Resolve(device);
        var (tensors, metadata) = SafeTensors.Deserialize(ReadAll(path), path);
        PtbConfig config;
        Vocabulary vocabulary;
        try
        {
            if (!metadata.TryGetValue("config", out string? configJson) || !metadata.TryGetValue("vocabulary", out string? words))
                throw new InvalidDataException($"{path}: the safetensors metadata lacks 'config' or 'vocabulary'; export it with Checkpoint.ExportSafetensors.");
            config = (JsonSerializer.Deserialize<ConfigDto>(configJson, Json)
                      ?? throw new InvalidDataException($"{path}: empty configuration metadata.")).ToConfig().Validate();
            vocabulary = new Vocabulary(words.Split('\n'));
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or ArgumentException)
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            if (e is InvalidDataException) throw;
            throw new InvalidDataException($"{path}: invalid configuration or vocabulary metadata: {e.Message}", e);
        }
        return new Checkpoint(BuildModel(path, config, vocabulary, tensors, resolved), vocabulary, null);
    }

    /// <summary>Releases the model.</summary>
    public void Dispose() => Model.Dispose();

    private static PtbLanguageModel BuildModel(string path, PtbConfig config, Vocabulary vocabulary, Dictionary<string, Tensor> weights, Device device)
    {
        // Building a module draws its initial weights from torch's global generator; put the generator back so that
        // loading a model never changes the random numbers a seeded run will see.
        using var randomState = random.get_rng_state();
        var model = new PtbLanguageModel(config, vocabulary.Count, CPU);
        random.set_rng_state(randomState);
        try
        {
            var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var missing = expected.Keys.Except(weights.Keys).ToList();
            var extra = weights.Keys.Except(expected.Keys).ToList();
            if (missing.Count > 0 || extra.Count > 0)
                throw new InvalidDataException($"{path}: the weights do not match the configuration ({config.NumLayers} layers): " +
                                               (missing.Count > 0 ? $"missing {string.Join(", ", missing)}" : "") +
                                               (missing.Count > 0 && extra.Count > 0 ? "; " : "") +
                                               (extra.Count > 0 ? $"unexpected {string.Join(", ", extra)}" : "") + ".");
            using (no_grad())
            {
                foreach (var (name, parameter) in expected)
                {
                    var saved = weights[name];
                    if (!saved.shape.SequenceEqual(parameter.shape))
                    {
                        string why = name is "embedding.weight" or "softmax.weight" or "softmax.bias" && saved.shape[0] != vocabulary.Count
                            ? $"the vocabulary holds {vocabulary.Count} words but the weights are for {saved.shape[0]}"
                            : $"the configuration (hidden size {config.HiddenSize}) needs [{string.Join(", ", parameter.shape)}]";
                        throw new InvalidDataException($"{path}: weight '{name}' has shape [{string.Join(", ", saved.shape)}]: {why}.");
                    }
                    if (saved.dtype != parameter.dtype)
                        throw new InvalidDataException($"{path}: weight '{name}' is {saved.dtype}, expected {parameter.dtype}.");
                    parameter.copy_(saved);
                }
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
        return device.type == DeviceType.CPU ? model : model.MoveTo(device);
    }

    private static Dictionary<string, byte[]> ReadEntries(string path)
    {
        byte[] bytes = ReadAll(path);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                entries[entry.FullName] = buffer.ToArray();
            }
            return entries;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a checkpoint, or truncated or corrupted ({e.Message}).", e);
        }
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot read: {e.Message}", e);
        }
        if (bytes.Length == 0) throw new InvalidDataException($"{path}: the file is empty.");
        return bytes;
    }

    private static byte[] Require(Dictionary<string, byte[]> entries, string name, string path) =>
        entries.TryGetValue(name, out var bytes) ? bytes : throw new InvalidDataException($"{path}: the checkpoint lacks its '{name}' entry.");

    private static T Parse<T>(Dictionary<string, byte[]> entries, string name, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Require(entries, name, path), Json)
                   ?? throw new InvalidDataException($"{path}: the checkpoint's '{name}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's '{name}' is not valid: {e.Message}", e);
        }
    }

    private static string LibraryVersion =>
        typeof(Checkpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private sealed record Manifest(string Format, int FormatVersion, string LibraryVersion, ConfigDto Config, int VocabularySize,
                                   Dictionary<string, string> Entries);

    /// <summary>
    /// The configuration as stored: plain properties, so that the file format does not follow the record's shape.
    /// The regularisation options came later; files without them read as TensorFlow's (all off).
    /// </summary>
    private sealed record ConfigDto(string Name, double InitScale, double LearningRate, double MaxGradNorm, int NumLayers, int NumSteps,
                                    int HiddenSize, int MaxEpoch, int MaxMaxEpoch, double KeepProb, double LrDecay, int BatchSize,
                                    int? EmbeddingSize = null, bool? TieWeights = null, bool? LockedDropout = null,
                                    double? InputDropout = null, double? HiddenDropout = null, double? OutputDropout = null,
                                    double? EmbeddingDropout = null, double? WeightDrop = null,
                                    double? ActivationRegularization = null, double? TemporalActivationRegularization = null,
                                    bool? AveragedSgd = null, int? NonmonotoneInterval = null, double? TimeBudgetSeconds = null,
                                    double? BudgetFullRateFraction = null, double? BudgetFinalRateRatio = null)
    {
        public static ConfigDto From(PtbConfig c) =>
            new(c.Name, c.InitScale, c.LearningRate, c.MaxGradNorm, c.NumLayers, c.NumSteps, c.HiddenSize, c.MaxEpoch, c.MaxMaxEpoch, c.KeepProb, c.LrDecay, c.BatchSize,
                c.EmbeddingSize, c.TieWeights, c.LockedDropout, c.InputDropout, c.HiddenDropout, c.OutputDropout, c.EmbeddingDropout, c.WeightDrop,
                c.ActivationRegularization, c.TemporalActivationRegularization, c.AveragedSgd, c.NonmonotoneInterval, c.TimeBudget?.TotalSeconds,
                c.BudgetFullRateFraction, c.BudgetFinalRateRatio);

        public PtbConfig ToConfig()
        {
            var defaults = new PtbConfig(Name, InitScale, LearningRate, MaxGradNorm, NumLayers, NumSteps, HiddenSize, MaxEpoch, MaxMaxEpoch, KeepProb, LrDecay, BatchSize);
            return defaults with
            {
                EmbeddingSize = EmbeddingSize,
                TieWeights = TieWeights ?? false,
                LockedDropout = LockedDropout ?? false,
                InputDropout = InputDropout,
                HiddenDropout = HiddenDropout,
                OutputDropout = OutputDropout,
                EmbeddingDropout = EmbeddingDropout ?? 0,
                WeightDrop = WeightDrop ?? 0,
                ActivationRegularization = ActivationRegularization ?? 0,
                TemporalActivationRegularization = TemporalActivationRegularization ?? 0,
                AveragedSgd = AveragedSgd ?? false,
                NonmonotoneInterval = NonmonotoneInterval ?? defaults.NonmonotoneInterval,
                TimeBudget = TimeBudgetSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                BudgetFullRateFraction = BudgetFullRateFraction ?? defaults.BudgetFullRateFraction,
                BudgetFinalRateRatio = BudgetFinalRateRatio ?? defaults.BudgetFinalRateRatio,
            };
        }
    }
}
