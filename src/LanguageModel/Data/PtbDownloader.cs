using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace LanguageModel;

/// <summary>
/// Fetches the Penn Treebank from Tomas Mikolov's <c>simple-examples.tgz</c>, keeping only the three PTB files and
/// checking each against its published SHA-256.
/// </summary>
public static class PtbDownloader
{
    /// <summary>Where Mikolov's RNNLM toolkit publishes the archive.</summary>
    public static Uri DefaultSource { get; } = new("http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz");

    /// <summary>The SHA-256 of each PTB file, as in the archive.</summary>
    public static IReadOnlyDictionary<string, string> Sha256 { get; } = new Dictionary<string, string>
    {
        [PtbReader.TrainFileName] = "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
        [PtbReader.ValidFileName] = "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
        [PtbReader.TestFileName] = "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
    };

    /// <summary>Downloads the archive and extracts the PTB files into <paramref name="directory"/>.</summary>
    /// <param name="directory">Created if missing; receives ptb.train.txt, ptb.valid.txt and ptb.test.txt.</param>
    /// <param name="source">The archive's address; <see cref="DefaultSource"/> when null.</param>
    /// <param name="progress">Bytes received so far and the total when the server says it (else null).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <exception cref="HttpRequestException">The download failed.</exception>
    /// <exception cref="InvalidDataException">The archive lacks a file or a file's checksum differs.</exception>
    public static async Task DownloadAsync(string directory, Uri? source = null, IProgress<(long Received, long? Total)>? progress = null,
                                           CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        string archive = Path.Combine(directory, $".simple-examples-{Guid.NewGuid():N}.tgz.tmp");
        try
        {
            using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) })
            using (var response = await http.GetAsync(source ?? DefaultSource, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
                long? total = response.Content.Headers.ContentLength;
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                await using var file = File.Create(archive);
                var buffer = new byte[1 << 16];
                long received = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    received += read;
                    progress?.Report((received, total));
                }
            }
            await using var stream = File.OpenRead(archive);
            await ExtractAsync(stream, directory, Sha256, cancellationToken);
        }
        finally
        {
            File.Delete(archive);
        }
    }

    /// <summary>
    /// Extracts <c>ptb.train.txt</c>, <c>ptb.valid.txt</c> and <c>ptb.test.txt</c> from a gzipped tar stream (wherever they
    /// sit in it), checks each against <paramref name="expectedSha256"/>, and only then moves them into place.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing from the archive or its checksum differs; nothing is written.</exception>
    public static async Task ExtractAsync(Stream gzippedTar, string directory, IReadOnlyDictionary<string, string> expectedSha256,
                                          CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gzippedTar);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(expectedSha256);
        Directory.CreateDirectory(directory);
        var extracted = new Dictionary<string, string>();
        try
        {
            await using (var gzip = new GZipStream(gzippedTar, CompressionMode.Decompress, leaveOpen: true))
            using (var tar = new TarReader(gzip))
            {
                TarEntry? entry;
                while ((entry = await tar.GetNextEntryAsync(cancellationToken: cancellationToken)) is not null)
                {
                    string name = Path.GetFileName(entry.Name);
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !expectedSha256.ContainsKey(name)
                        || extracted.ContainsKey(name) || entry.DataStream is null)
                        continue;
                    string temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
                    extracted[name] = temp;
                    await using var file = File.Create(temp);
                    await entry.DataStream.CopyToAsync(file, cancellationToken);
                }
            }

            foreach (var (name, expected) in expectedSha256)
            {
                if (!extracted.TryGetValue(name, out string? temp))
                    throw new InvalidDataException($"The archive holds no {name}.");
                string actual;
                await using (var file = File.OpenRead(temp))
                    actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
                if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException($"{name} from the archive has SHA-256 {actual}, expected {expected}: the download is damaged or not the PTB.");
            }
            foreach (var (name, temp) in extracted) File.Move(temp, Path.Combine(directory, name), overwrite: true);
            extracted.Clear();
        }
        finally
        {
            foreach (var temp in extracted.Values) File.Delete(temp);
        }
    }
}
