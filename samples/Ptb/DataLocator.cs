using LanguageModel;

namespace Ptb;

/// <summary>
/// Finds the corpus to train on when none is named: <c>data/ptb</c>, else a fresh download of the PTB into it, else
/// the bundled Markov corpus (so the README's command always runs, even offline).
/// </summary>
internal static class DataLocator
{
    public static string DefaultPtbDirectory => Path.Combine("data", "ptb");

    public static string BundledDirectory => Path.Combine(AppContext.BaseDirectory, "data", "markov");

    /// <summary>Where the PTB archive is fetched from: <c>PTB_DOWNLOAD_URL</c> when set (a mirror, or a test server), else Mikolov's page.</summary>
    public static Uri DownloadSource =>
        Environment.GetEnvironmentVariable("PTB_DOWNLOAD_URL") is { Length: > 0 } url ? new Uri(url) : PtbDownloader.DefaultSource;

    public static async Task<string> Resolve(string? requested, CancellationToken cancellationToken)
    {
        if (requested is not null) return requested;
        string ptb = DefaultPtbDirectory;
        if (File.Exists(Path.Combine(ptb, PtbReader.TrainFileName))) return ptb;

        Console.WriteLine($"No --data given and no PTB in {Path.GetFullPath(ptb)}; downloading {DownloadSource} ...");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(10));
            var progress = new ConsoleProgressLine();
            await PtbDownloader.DownloadAsync(ptb, DownloadSource, progress: new InlineProgress<(long Received, long? Total)>(p =>
                progress.Update(p.Total is long total ? (double)p.Received / total : 0,
                                $"download {p.Received / 1e6:F1} MB" + (p.Total is long t ? $" of {t / 1e6:F1} MB" : ""))),
                cancellationToken: timeout.Token);
            progress.Clear();
            Console.WriteLine($"PTB saved in {Path.GetFullPath(ptb)} (checksums verified).");
            return ptb;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException or TaskCanceledException
                                  && !cancellationToken.IsCancellationRequested)
        {
            Console.WriteLine($"Download failed ({e.Message.Split('\n')[0]}); training on the bundled corpus {BundledDirectory} instead.");
            return BundledDirectory;
        }
    }
}
