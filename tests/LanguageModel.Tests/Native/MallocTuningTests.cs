namespace LanguageModel.Tests.Native;

public class MallocTuningTests
{
    [SkippableFact]
    public void Glibc_accepts_the_thresholds_and_accepts_them_again()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "glibc's mallopt exists on Linux only");

        MallocTuning.KeepLargeBlocks().Should().BeTrue();
        MallocTuning.KeepLargeBlocks().Should().BeTrue();
    }
}
