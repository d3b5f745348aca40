using System.Globalization;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Native;

public class MklCpuDispatchTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // The first bytes of mkl_serv_intel_cpu_true in the oneMKL 2024.0 that libtorch 2.10 carries (objdump):
    // mov eax, [rip+0x0998671a]; test eax, eax; js +1; ret
    private static readonly byte[] Shipped = [0x8B, 0x05, 0x1A, 0x67, 0x98, 0x09, 0x85, 0xC0, 0x78, 0x01, 0xC3, 0x53];

    [Fact]
    public void Finds_the_cached_answer_from_the_rip_relative_load()
    {
        // At 0xbdc5670 the load reads 0x1574bd90 (= 0xbdc5670 + 6 + 0x998671a), as objdump says.
        var cache = MklCpuDispatch.FindCachedAnswer(Shipped, (IntPtr)0xbdc5670);

        cache.Should().Be((IntPtr)0x1574bd90);
    }

    [Fact]
    public void A_negative_offset_points_backwards()
    {
        byte[] code = [.. Shipped];
        BitConverter.GetBytes(-100).CopyTo(code, 2);

        MklCpuDispatch.FindCachedAnswer(code, (IntPtr)0x10000).Should().Be((IntPtr)(0x10000 + 6 - 100));
    }

    [Theory]
    [InlineData(0, 0x8A)]   // another instruction
    [InlineData(7, 0xC9)]   // test ecx, ecx
    [InlineData(10, 0x90)]  // no ret after the cached path
    public void Unknown_code_is_left_alone(int index, byte value)
    {
        byte[] code = [.. Shipped];
        code[index] = value;

        MklCpuDispatch.FindCachedAnswer(code, (IntPtr)0x1000).Should().BeNull();
    }

    [Fact]
    public void Too_few_bytes_are_unknown()
    {
        MklCpuDispatch.FindCachedAnswer(Shipped.AsSpan(0, 8), (IntPtr)0x1000).Should().BeNull();
    }

    /// <summary>The switch on a real process: the sample turns it on at startup unless asked not to.</summary>
    [SkippableFact]
    public void Fast_kernels_train_to_the_same_numbers_as_the_generic_ones()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
                   "the switch exists on Linux x64 only");
        string[] train = ["train", "--data", MarkovCorpusData.Directory, "--config", "small", "--epochs", "1", "--device", "cpu"];

        var fast = PtbCli.Run(_dir.Path, null, train);
        var generic = PtbCli.Run(_dir.Path, null, [.. train, "--mkl-generic"]);

        fast.ExitCode.Should().Be(0, fast.Error);
        fast.Output.Should().MatchRegex("oneMKL fast kernels (switched on|\\(Intel processor\\))");
        generic.Output.Should().Contain("oneMKL generic (--mkl-generic)");
        // Same perplexities to 4 significant digits: different kernels only reorder floating-point sums.
        Perplexities(fast.Output).Should().Equal(Perplexities(generic.Output), (a, b) => Math.Abs(a - b) / b < 5e-4);
    }

    private static double[] Perplexities(string output)
    {
        var epoch = output.Split('\n').Single(l => l.TrimStart().StartsWith("1 ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var test = output.Split('\n').Single(l => l.StartsWith("Test perplexity: ", StringComparison.Ordinal))["Test perplexity: ".Length..];
        return [double.Parse(epoch[2], CultureInfo.CurrentCulture), double.Parse(epoch[3], CultureInfo.CurrentCulture), double.Parse(test, CultureInfo.CurrentCulture)];
    }
}
