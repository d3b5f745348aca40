using System.Runtime.InteropServices;
using TorchSharp;

namespace LanguageModel;

/// <summary>
/// Lets the Intel oneMKL inside libtorch use its fast (AVX-512/AVX2) kernels on AMD processors, where it otherwise
/// falls back to a generic path: on the 2-core AMD EPYC this project is measured on, a float32 2048³ matrix product
/// runs at about 190 GFLOP/s by default and about 440 GFLOP/s with this switch, and PTB training gets 25-65% faster.
/// </summary>
/// <remarks>
/// <para>oneMKL picks its kernels from the processor's features only after asking <c>mkl_serv_intel_cpu_true</c>
/// whether the processor is an Intel one; that function caches its answer in a variable. This class finds the
/// variable from the function's first instruction and stores "yes" in it. No code is changed, and only when the
/// function's first bytes are exactly the known ones (<c>mov eax, [rip+cache]; test eax, eax; js; ret</c>);
/// otherwise it reports <see cref="MklDispatchStatus.UnknownVersion"/> and changes nothing. The processor's own
/// feature flags still decide which instructions are used, so the kernels it gets are ones it supports.</para>
/// <para>It is opt-in because it changes process-wide state of a vendor library: call it once at startup, before
/// the first model is built (oneMKL settles its choice on its first call). Floating-point results differ from the
/// generic path in the last bits, as between any two BLAS kernels. Linux x64 only.</para>
/// </remarks>
public static class MklCpuDispatch
{
    private const string Function = "mkl_serv_intel_cpu_true";
    private static readonly object Gate = new();

    /// <summary>Tells the oneMKL inside the loaded libtorch to use its fast kernels; safe to call more than once.</summary>
    public static MklDispatchStatus EnableFastKernels()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return MklDispatchStatus.NotApplicable;
        lock (Gate)
        {
            torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch if nothing has yet
            string? path = LoadedLibraryPath("libtorch_cpu.so");
            if (path is null || !NativeLibrary.TryLoad(path, out IntPtr library)) return MklDispatchStatus.NotApplicable;
            try
            {
                if (!NativeLibrary.TryGetExport(library, Function, out IntPtr function)) return MklDispatchStatus.NotApplicable;
                var code = new byte[CachedAnswerPattern.Length];
                Marshal.Copy(function, code, 0, code.Length);
                if (FindCachedAnswer(code, function) is not IntPtr cache) return MklDispatchStatus.UnknownVersion;
                // Negative: not asked yet. 1: Intel (or switched before). 0: asked and answered "not Intel", so oneMKL has
                // already chosen its kernels; changing the answer now could mix two kernel families, so leave it.
                switch (Marshal.ReadInt32(cache))
                {
                    case 1: return MklDispatchStatus.AlreadyEnabled;
                    case 0: return MklDispatchStatus.TooLate;
                    default:
                        Marshal.WriteInt32(cache, 1);
                        return MklDispatchStatus.Enabled;
                }
            }
            finally
            {
                NativeLibrary.Free(library); // drops only the reference TryLoad added
            }
        }
    }

    /// <summary>
    /// The function's expected start: <c>8B 05 rel32</c> (mov eax, [rip+rel32]) then <c>85 C0</c> (test eax, eax),
    /// <c>78 01</c> (js +1), <c>C3</c> (ret). Bytes 2-5 (the offset) may be anything.
    /// </summary>
    internal static readonly byte?[] CachedAnswerPattern = [0x8B, 0x05, null, null, null, null, 0x85, 0xC0, 0x78, 0x01, 0xC3];

    /// <summary>The address of the cached answer, from the function's first bytes; null when they are not the known ones.</summary>
    internal static IntPtr? FindCachedAnswer(ReadOnlySpan<byte> code, IntPtr functionAddress)
    {
        if (code.Length < CachedAnswerPattern.Length) return null;
        for (int i = 0; i < CachedAnswerPattern.Length; i++)
            if (CachedAnswerPattern[i] is byte expected && code[i] != expected) return null;
        int offset = BitConverter.ToInt32(code[2..6]);
        return functionAddress + 6 + offset; // RIP-relative: from the end of the 6-byte instruction
    }

    /// <summary>The path of a loaded shared library, from the process's memory map.</summary>
    private static string? LoadedLibraryPath(string fileName)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal)) return line[slash..];
        }
        return null;
    }
}
