using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ptb.Benchmarks;

/// <summary>
/// Runs the PyTorch peer (<c>ptb_peer.py</c>) with Debian's Python and PyTorch, installing them if missing
/// (benchmark-only: never needed by the library, its tests or CI).
/// </summary>
internal static class PeerRunner
{
    private const string Python = "/usr/bin/python3";
    private static readonly string[] Packages = ["python3-torch", "libopenblas0-openmp"];

    public static JsonObject? Run(string dataDirectory, JsonObject plan, Action<string> log)
    {
        if (!EnsureInstalled(log)) return null;
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Benchmarks", "ptb_peer.py"));
        info.ArgumentList.Add("--data");
        info.ArgumentList.Add(dataDirectory);
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(plan.ToJsonString());
        // This machine sets these for older OpenBLAS builds; they slow a current one down, so the peer runs without them.
        info.Environment.Remove("OPENBLAS_CORETYPE");
        info.Environment.Remove("OPENBLAS_L2_SIZE");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            log($"The PyTorch peer failed (exit {process.ExitCode}): {error.Result.Trim()}");
            return null;
        }
        return JsonNode.Parse(output.Result)!.AsObject();
    }

    private static bool EnsureInstalled(Action<string> log)
    {
        if (Succeeds(Python, "-c", "import torch") && Succeeds("dpkg", "-s", Packages[1])) return true;
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            log($"The PyTorch peer needs Debian's {string.Join(" and ", Packages)}; install them (as root: apt-get install {string.Join(' ', Packages)}) to compare.");
            return false;
        }
        log($"Installing the PyTorch peer: apt-get install {string.Join(' ', Packages)} ...");
        Succeeds("apt-get", "update", "-qq"); // a stale package list only matters if the install then fails
        bool installed = Succeeds("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", .. Packages]);
        if (!installed) log("Installing the PyTorch peer failed; the report shows this library only.");
        return installed && Succeeds(Python, "-c", "import torch");
    }

    private static bool Succeeds(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args) info.ArgumentList.Add(arg);
            using var process = Process.Start(info)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public static double? Number(JsonNode? node, params string[] path)
    {
        foreach (var key in path) node = node?[key];
        return node?.GetValueKind() == JsonValueKind.Number ? node.GetValue<double>() : null;
    }
}
