using LanguageModel;

namespace Ptb;

/// <summary>What the program set up before running a command.</summary>
internal static class Startup
{
    /// <summary>The oneMKL kernel switch's outcome; null when <c>--mkl-generic</c> kept the generic kernels.</summary>
    public static MklDispatchStatus? Mkl { get; set; }

    /// <summary>Whether glibc accepted the allocator thresholds of <see cref="MallocTuning"/>.</summary>
    public static bool Malloc { get; set; }

    public static string MklDescription => Mkl switch
    {
        null => "generic (--mkl-generic)",
        MklDispatchStatus.Enabled => "fast kernels switched on" + Strict,
        MklDispatchStatus.AlreadyEnabled => "fast kernels (Intel processor)" + Strict,
        { } other => $"generic ({other})",
    };

    private static string Strict => MklCpuDispatch.StrictReproducibility ? ", strict reproducibility" : "";
}
