using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Data;

/// <summary>The download path, against archives built here (never the network).</summary>
public class PtbDownloaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Dictionary<string, string> Files = new()
    {
        ["ptb.train.txt"] = " a b c \n b c \n",
        ["ptb.valid.txt"] = " a b \n",
        ["ptb.test.txt"] = " c a \n",
    };

    private static Dictionary<string, string> Hashes(IDictionary<string, string> files) =>
        files.ToDictionary(f => f.Key, f => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(f.Value))));

    /// <summary>A .tgz laid out like simple-examples.tgz, with other files around the PTB ones.</summary>
    private static MemoryStream Archive(IDictionary<string, string> files)
    {
        var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
        {
            void Add(string name, string text) =>
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            Add("simple-examples/1-train/README", "other files are ignored");
            foreach (var (name, text) in files) Add($"simple-examples/data/{name}", text);
            Add("simple-examples/data/ptb.char.train.txt", "a _ b");
        }
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public async Task Extracts_the_three_files_and_checks_them()
    {
        string target = Path.Combine(_dir.Path, "ptb");

        await PtbDownloader.ExtractAsync(Archive(Files), target, Hashes(Files));

        Directory.GetFiles(target).Select(Path.GetFileName).Should().BeEquivalentTo(Files.Keys);
        File.ReadAllText(Path.Combine(target, "ptb.train.txt")).Should().Be(Files["ptb.train.txt"]);
        PtbReader.Load(target).Vocabulary.Count.Should().Be(4);
    }

    [Fact]
    public async Task A_checksum_mismatch_writes_nothing()
    {
        string target = Path.Combine(_dir.Path, "ptb");
        var hashes = Hashes(Files);
        hashes["ptb.valid.txt"] = new string('0', 64);

        var act = () => PtbDownloader.ExtractAsync(Archive(Files), target, hashes);

        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("ptb.valid.txt*SHA-256*expected 0000*");
        Directory.GetFiles(target).Should().BeEmpty();
    }

    [Fact]
    public async Task A_missing_file_is_named()
    {
        var partial = Files.Where(f => f.Key != "ptb.test.txt").ToDictionary();

        var act = () => PtbDownloader.ExtractAsync(Archive(partial), _dir.Path, Hashes(Files));

        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("The archive holds no ptb.test.txt.");
        Directory.GetFiles(_dir.Path).Should().BeEmpty();
    }

    [Fact]
    public void Ships_the_published_checksums()
    {
        PtbDownloader.Sha256["ptb.train.txt"].Should().StartWith("fcea919f").And.EndWith("cbf");
        PtbDownloader.Sha256["ptb.valid.txt"].Should().StartWith("c9fe6985").And.EndWith("bf2");
        PtbDownloader.Sha256["ptb.test.txt"].Should().StartWith("dd65dff3").And.EndWith("ee0");
    }
}
