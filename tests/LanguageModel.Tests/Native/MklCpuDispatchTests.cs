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

    /// <summary>The switch in a real process: the sample turns it on at startup unless asked not to.</summary>
    [SkippableFact]
    public void Fast_kernels_are_as_exact_as_the_generic_ones_and_give_the_same_bits_on_any_thread_count()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
                   "the switch exists on Linux x64 only");

        var fast = PtbCli.Run(_dir.Path, null, "bench", "--matmul");
        var generic = PtbCli.Run(_dir.Path, null, "bench", "--matmul", "--mkl-generic");

        fast.ExitCode.Should().Be(0, fast.Error);
        fast.Output.Should().MatchRegex("oneMKL fast kernels (switched on|\\(Intel processor\\))");
        generic.Output.Should().Contain("oneMKL generic (--mkl-generic)");
        // float32 sums of 200 products: a few units in the last place, whichever kernels run.
        RelativeError(fast.Output).Should().BeLessThan(2e-6);
        RelativeError(generic.Output).Should().BeLessThan(2e-6);
        // Strict reproducibility mode: without it the fast kernels split long sums by thread (the generic ones do not).
        fast.Output.Should().Contain("strict reproducibility");
        fast.Output.Should().Contain("same bits on 1 and 2 threads: yes");
        generic.Output.Should().Contain("same bits on 1 and 2 threads: yes");
    }

    private static double RelativeError(string output) =>
        double.Parse(output.Split('\n').Single(l => l.StartsWith("max relative error vs float64: ", StringComparison.Ordinal))
                           ["max relative error vs float64: ".Length..], CultureInfo.InvariantCulture);
}
