using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LanguageModel.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Checkpoints;

[Collection(TorchCollection.Name)]
public class CheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    private static Tensor Logits(PtbLanguageModel model)
    {
        model.eval();
        using var noGrad = no_grad();
        using var state = model.ZeroState(1);
        var (logits, next) = model.call(tensor(new long[] { 2, 0, 3, 4, 5, 0, 6 }, [1, 7]), state);
        next.Dispose();
        return logits;
    }

    [Fact]
    public void Round_trip_restores_config_vocabulary_and_weights_with_nothing_else()
    {
        using var model = TinyModels.Model(seed: 4);
        string path = PathOf("model.ckpt");

        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        using var loaded = Checkpoint.Load(path, "cpu");

        loaded.Model.Config.Should().Be(TinyModels.Config);
        loaded.Vocabulary.Words.Should().Equal(TinyModels.Vocabulary.Words);
        loaded.Training.Should().BeNull();
        using var expected = Logits(model);
        using var actual = Logits(loaded.Model);
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue("the weights are stored exactly");
        Directory.GetFiles(_dir.Path).Should().ContainSingle("the temporary file is renamed, not left behind");
    }

    [Fact]
    public void Loading_does_not_disturb_the_global_random_generator()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);

        manual_seed(99);
        float expected = rand(1).item<float>();
        manual_seed(99);
        using (Checkpoint.Load(path, "cpu")) { }
        float actual = rand(1).item<float>();

        actual.Should().Be(expected);
    }

    [Fact]
    public void Inspect_reads_the_description_without_the_weights()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        var training = new TrainingState(3, 0.5, 42.5, 7, [new EpochMetrics(1, 1.0, 90, 80, 2, 100)], [1, 2, 3]);
        Checkpoint.Save(path, model, TinyModels.Vocabulary, training);

        var info = Checkpoint.Inspect(path);

        info.Config.Should().Be(TinyModels.Config);
        info.VocabularySize.Should().Be(9);
        info.FormatVersion.Should().Be(Checkpoint.FormatVersion);
        info.Training!.EpochsCompleted.Should().Be(3);
        info.Training.BestValidPerplexity.Should().Be(42.5);
        info.Training.Epochs.Should().Equal(training.Epochs);
        info.Training.RandomState.Should().Equal(1, 2, 3);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var act = () => Checkpoint.Load(PathOf("absent.ckpt"), "cpu");

        act.Should().Throw<FileNotFoundException>().WithMessage($"{PathOf("absent.ckpt")}: file not found.");
    }

    [Fact]
    public void An_empty_file_is_named()
    {
        File.WriteAllBytes(PathOf("empty.ckpt"), []);

        var act = () => Checkpoint.Load(PathOf("empty.ckpt"), "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{PathOf("empty.ckpt")}: the file is empty.");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void A_truncated_file_is_named(double keep)
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);

        var act = () => Checkpoint.Load(path, "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: *");
    }

    [Fact]
    public void A_corrupted_entry_is_detected_by_its_checksum()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        // Change one weight byte but keep the zip well-formed, as silent disk corruption would.
        Rewrite(path, "model.safetensors", bytes => { bytes[^3] ^= 0x40; return bytes; }, updateManifestHash: false);

        var act = () => Checkpoint.Load(path, "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: the checkpoint's 'model.safetensors' entry is corrupted*");
    }

    [Fact]
    public void A_newer_format_version_asks_for_an_update()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        EditManifest(path, manifest => manifest["format_version"] = 99);

        var act = () => Checkpoint.Load(path, "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: checkpoint format version 99 is newer than this library reads (1); update*");
    }

    [Fact]
    public void Weights_that_do_not_fit_the_config_are_named()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        EditManifest(path, manifest => manifest["config"]!["hidden_size"] = 16);

        var act = () => Checkpoint.Load(path, "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: weight '*' has shape [*]: the configuration (hidden size 16) needs [*].");
    }

    [Fact]
    public void Missing_layers_are_named()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        EditManifest(path, manifest => manifest["config"]!["num_layers"] = 3);

        var act = () => Checkpoint.Load(path, "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: the weights do not match the configuration (3 layers): missing lstm.weight_ih_l2*");
    }

    [Fact]
    public void A_vocabulary_that_does_not_fit_the_weights_is_named()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        Rewrite(path, "vocabulary.txt", _ => Encoding.UTF8.GetBytes("the\n<unk>\n<eos>\ncat\n"), updateManifestHash: true);
        EditManifest(path, manifest => manifest["vocabulary_size"] = 4);

        var act = () => Checkpoint.Load(path, "cpu");

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: weight 'embedding.weight' has shape [9, 8]: the vocabulary holds 4 words but the weights are for 9.");
    }

    [SkippableFact]
    public void Loading_onto_cuda_where_there_is_none_is_a_clear_error()
    {
        Skip.If(cuda.is_available(), "this machine has CUDA");
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);

        var act = () => Checkpoint.Load(path, "cuda");

        act.Should().Throw<InvalidOperationException>().WithMessage("*CUDA is not available*");
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_untouched()
    {
        using var model = TinyModels.Model();
        string path = PathOf("model.ckpt");
        Checkpoint.Save(path, model, TinyModels.Vocabulary);
        byte[] good = File.ReadAllBytes(path);

        var act = () => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full (simulated)");
        });

        act.Should().Throw<IOException>().WithMessage($"{path}: cannot write: disk full (simulated)");
        File.ReadAllBytes(path).Should().Equal(good);
        Directory.GetFiles(_dir.Path).Should().ContainSingle();
    }

    [Fact]
    public void Safetensors_export_uses_pytorch_names_and_imports_back()
    {
        using var model = TinyModels.Model(seed: 8);
        string path = PathOf("model.safetensors");

        Checkpoint.ExportSafetensors(path, model, TinyModels.Vocabulary);

        // Read the file as a PyTorch user's safetensors library would: u64 header length, JSON header, raw data.
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        var header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))!.AsObject();
        header.Select(p => p.Key).Where(k => k != "__metadata__").Should().BeEquivalentTo(Checkpoint.WeightNames(2));
        header["embedding.weight"]!["dtype"]!.GetValue<string>().Should().Be("F32");
        header["lstm.weight_hh_l1"]!["shape"]!.AsArray().Select(n => n!.GetValue<long>()).Should().Equal(32, 8);
        var offsets = header["embedding.weight"]!["data_offsets"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
        var embedding = new float[9 * 8];
        Buffer.BlockCopy(bytes, (int)(8 + headerLength + offsets[0]), embedding, 0, embedding.Length * 4);
        var expectedEmbedding = model.named_parameters().Single(p => p.name == "embedding.weight").parameter.data<float>().ToArray();
        embedding.Should().Equal(expectedEmbedding);

        using var imported = Checkpoint.ImportSafetensors(path, "cpu");
        imported.Model.Config.Should().Be(TinyModels.Config);
        imported.Vocabulary.Words.Should().Equal(TinyModels.Vocabulary.Words);
        using var a = Logits(model);
        using var b = Logits(imported.Model);
        b.allclose(a, rtol: 0, atol: 0).Should().BeTrue();
    }

    private static void Rewrite(string path, string entryName, Func<byte[], byte[]> change, bool updateManifestHash)
    {
        var entries = ReadZip(path);
        entries[entryName] = change(entries[entryName]);
        if (updateManifestHash)
        {
            var manifest = JsonNode.Parse(entries["manifest.json"])!;
            manifest["entries"]![entryName] = Convert.ToHexStringLower(SHA256.HashData(entries[entryName]));
            entries["manifest.json"] = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        }
        WriteZip(path, entries);
    }

    private static void EditManifest(string path, Action<JsonNode> edit) =>
        Rewrite(path, "manifest.json", bytes =>
        {
            var manifest = JsonNode.Parse(bytes)!;
            edit(manifest);
            return Encoding.UTF8.GetBytes(manifest.ToJsonString());
        }, updateManifestHash: false);

    private static Dictionary<string, byte[]> ReadZip(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
    }

    private static void WriteZip(string path, Dictionary<string, byte[]> entries)
    {
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var s = zip.CreateEntry(name).Open();
            s.Write(bytes);
        }
    }
}
