namespace LanguageModel.Tests.Support;

/// <summary>
/// Where the real Penn Treebank lives for the tests that need it: the directory named by <c>PTB_DATA_DIR</c>.
/// The data is never copied into the repository; <c>.ci/run</c> points the variable at <c>../shared/data/ptb</c>.
/// </summary>
public static class PtbData
{
    public const string Variable = "PTB_DATA_DIR";

    /// <summary>The PTB directory; skips the calling test, with the reason, when it is not configured.</summary>
    public static string RequireDirectory()
    {
        string? directory = Environment.GetEnvironmentVariable(Variable);
        Skip.If(string.IsNullOrWhiteSpace(directory), $"{Variable} is not set: set it to a directory holding ptb.train.txt, ptb.valid.txt and ptb.test.txt to run this test.");
        Skip.IfNot(File.Exists(Path.Combine(directory!, "ptb.train.txt")), $"{Variable}={directory} holds no ptb.train.txt.");
        return directory!;
    }
}
