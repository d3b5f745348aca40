using System.Diagnostics;
using System.Reflection;

namespace LanguageModel.Tests.Support;

/// <summary>Runs the sample's <c>ptb</c> command as a separate process, as a user would.</summary>
public static class PtbCli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static string AssemblyPath => typeof(PtbCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleAssembly").Value!;

    public static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) info.Environment[name] = value;
        info.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    public static Result Run(string workingDirectory, string? input, params string[] args) =>
        RunWith(workingDirectory, new Dictionary<string, string>(), input, args);

    public static Result RunWith(string workingDirectory, IReadOnlyDictionary<string, string> environment, string? input, params string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        if (input is not null) process.StandardInput.Write(input);
        process.StandardInput.Close();
        return Finish(process);
    }

    public static Result Finish(Process process)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("ptb did not finish within 3 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
