using System.CommandLine;
using System.Text.Json;
using ScottPlot;

namespace Ptb;

/// <summary>
/// <c>ptb plot</c>: validation perplexity against epoch and against wall-clock minutes, one line per run, from the
/// <c>--metrics</c> JSON files that <c>ptb train</c> writes.
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("metrics") { Description = "Metrics JSON files written by train --metrics.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("-o", "--output") { Description = "The PNG to write.", DefaultValueFactory = _ => "curves.png" };
        var command = new Command("plot", "Draw validation perplexity against epoch and against minutes, one line per run.") { files, output };
        command.SetAction((result, _) => CliErrors.Run(() =>
        {
            string path = result.GetValue(output)!;
            Draw(result.GetValue(files)!.Select(Read).ToList(), path);
            Console.WriteLine($"Wrote {Path.GetFullPath(path)}");
            return Task.FromResult(0);
        }));
        return command;
    }

    internal sealed record Run(string Label, double[] Epochs, double[] Minutes, double[] ValidPerplexity);

    internal static Run Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            var epochs = root.GetProperty("epochs").EnumerateArray().ToList();
            if (epochs.Count == 0) throw new InvalidDataException($"{path}: the run has no finished epoch to draw.");
            double elapsed = 0;
            // Wall clock with validation when the file records it; older files only have each training pass's seconds.
            var minutes = epochs.Select(e => (e.TryGetProperty("elapsed_seconds", out var wall) && wall.ValueKind == JsonValueKind.Number
                ? elapsed = wall.GetDouble() : elapsed += e.GetProperty("seconds").GetDouble()) / 60).ToArray();
            string config = root.GetProperty("config").GetProperty("name").GetString() ?? "?";
            string test = root.TryGetProperty("test_perplexity", out var t) ? $", test {t.GetDouble():F1}" : "";
            return new Run($"{Path.GetFileNameWithoutExtension(path)} ({config}{test})",
                           epochs.Select(e => (double)e.GetProperty("epoch").GetInt32()).ToArray(), minutes,
                           epochs.Select(e => e.GetProperty("valid_perplexity").GetDouble()).ToArray());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a metrics file written by ptb train --metrics ({e.Message}).", e);
        }
    }

    internal static void Draw(IReadOnlyList<Run> runs, string path)
    {
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var byEpoch = multiplot.GetPlot(0);
        var byMinute = multiplot.GetPlot(1);
        foreach (var run in runs)
        {
            byEpoch.Add.Scatter(run.Epochs, run.ValidPerplexity).LegendText = run.Label;
            byMinute.Add.Scatter(run.Minutes, run.ValidPerplexity).LegendText = run.Label;
        }
        byEpoch.Title("Validation perplexity by epoch");
        byEpoch.XLabel("epoch");
        byMinute.Title("Validation perplexity by wall-clock time");
        byMinute.XLabel("minutes of training");
        foreach (var plot in new[] { byEpoch, byMinute })
        {
            plot.YLabel("valid perplexity");
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        }
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.png");
        try
        {
            multiplot.SavePng(temp, 1400, 500);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
