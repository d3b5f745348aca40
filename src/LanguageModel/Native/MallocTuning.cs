using System.Runtime.InteropServices;

namespace LanguageModel;

/// <summary>
/// Keeps glibc's allocator from handing large blocks back to the operating system between training steps.
/// </summary>
/// <remarks>
/// <para>A training step allocates and frees the same large tensors every time (the Small config's logits and
/// their gradients are 16 MB each). By default glibc serves such blocks with fresh memory maps, or trims them off
/// the heap when freed, so every step pays page faults to map that memory again. On the 2-core machine this
/// project is measured on that costs about a third of the Small config's training speed, and by how much depends
/// on the allocation history of the process. Raising the two thresholds keeps the memory in the process.</para>
/// <para>It changes no result, only where memory comes from; the price is that the process keeps its peak memory
/// rather than returning it. Process-wide and opt-in: call it once at startup. Linux with glibc only.</para>
/// </remarks>
public static class MallocTuning
{
    private const int TrimThreshold = -1;  // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;  // M_MMAP_THRESHOLD

    /// <summary>The largest block glibc accepts as its memory-map threshold on 64-bit systems (32 MiB).</summary>
    public const int MaxMmapThreshold = 32 * 1024 * 1024;

    /// <summary>Serves blocks up to 32 MiB from the heap and never trims it; returns whether glibc accepted both settings.</summary>
    public static bool KeepLargeBlocks()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return mallopt(MmapThreshold, MaxMmapThreshold) == 1 && mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no mallopt)
        }
    }

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl)]
    private static extern int mallopt(int parameter, int value);
}
