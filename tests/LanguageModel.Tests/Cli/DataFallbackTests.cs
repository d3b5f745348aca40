using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Cli;

/// <summary>
/// Without <c>--data</c> and without <c>data/ptb</c>, the sample downloads the PTB; when that fails it says so in one
/// line and uses the bundled corpus. The download is served from this process (never the network).
/// </summary>
public class DataFallbackTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly HttpListener _server = new();
    private readonly string _url;
    private int _requests;

    public DataFallbackTests()
    {
        int port = FreePort();
        _url = $"http://127.0.0.1:{port}/simple-examples.tgz";
        _server.Prefixes.Add($"http://127.0.0.1:{port}/");
        _server.Start();
        _ = Serve(ArchiveWithWrongText());
    }

    public void Dispose()
    {
        _server.Close();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>An archive shaped like simple-examples.tgz whose PTB files are not the real ones.</summary>
    private static byte[] ArchiveWithWrongText()
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
            foreach (var split in new[] { "train", "valid", "test" })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"simple-examples/data/ptb.{split}.txt")
                    { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(" not the penn treebank \n")) });
        return stream.ToArray();
    }

    private async Task Serve(byte[] body)
    {
        while (_server.IsListening)
        {
            HttpListenerContext context;
            try { context = await _server.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            Interlocked.Increment(ref _requests);
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    [Fact]
    public void A_download_that_fails_its_checksum_falls_back_to_the_bundled_corpus()
    {
        var result = PtbCli.RunWith(_dir.Path, new Dictionary<string, string> { ["PTB_DOWNLOAD_URL"] = _url }, null, "stats");

        result.ExitCode.Should().Be(0, result.Error);
        _requests.Should().Be(1);
        result.Output.Should().Contain($"downloading {_url}")
              .And.MatchRegex(@"Download failed \(ptb\.\w+\.txt from the archive has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}[^\n]*\); training on the bundled corpus")
              .And.Contain("vocabulary: 40 words");
        Directory.EnumerateFiles(Path.Combine(_dir.Path, "data"), "*", SearchOption.AllDirectories).Should().BeEmpty("nothing unverified is kept");
    }

    [Fact]
    public void An_unreachable_server_falls_back_to_the_bundled_corpus()
    {
        string closed = $"http://127.0.0.1:{FreePort()}/simple-examples.tgz";

        var result = PtbCli.RunWith(_dir.Path, new Dictionary<string, string> { ["PTB_DOWNLOAD_URL"] = closed }, null, "stats");

        result.ExitCode.Should().Be(0, result.Error);
        result.Output.Should().Contain("Download failed (").And.Contain("training on the bundled corpus").And.Contain("vocabulary: 40 words");
    }

    [Fact]
    public void An_existing_data_ptb_directory_is_used_without_downloading()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "data", "ptb"));
        foreach (var split in new[] { "train", "valid", "test" })
            File.WriteAllText(Path.Combine(_dir.Path, "data", "ptb", $"ptb.{split}.txt"), string.Concat(Enumerable.Repeat(" x y z \n", 50)));

        var result = PtbCli.RunWith(_dir.Path, new Dictionary<string, string> { ["PTB_DOWNLOAD_URL"] = _url }, null, "stats");

        result.ExitCode.Should().Be(0, result.Error);
        _requests.Should().Be(0);
        result.Output.Should().Contain("vocabulary: 4 words");
    }
}
