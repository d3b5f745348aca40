using System.Runtime.InteropServices;

namespace LanguageModel;

/// <summary>
/// Keeps Ctrl+C (SIGINT) and SIGTERM off the threads that run libtorch, so that an app can stop training cleanly
/// through a <see cref="CancellationToken"/> when the user interrupts it.
/// </summary>
/// <remarks>
/// <para>On Linux a process-wide signal goes to any thread that does not block it. When SIGINT or SIGTERM landed on
/// a thread busy inside libtorch (the main thread, or one of the OpenMP workers it starts), the native heap was
/// corrupted in about one run in three on the machine this project is built on ("corrupted size vs. prev_size",
/// then an abort) instead of the app's handler running; a cancellation from a timer never did this.</para>
/// <para>Call <see cref="BlockOnThisThread"/> first thing in <c>Main</c>, before any tensor is created: libtorch's
/// worker threads inherit the mask of the thread that starts them, and the kernel then delivers the signals to one
/// of .NET's own threads, which runs <see cref="Console.CancelKeyPress"/> and <see cref="PosixSignalRegistration"/>
/// handlers as usual. Do it only in an app that handles these signals (as the <c>ptb</c> sample does): with the
/// signals blocked and no handler, .NET's default handling still ends the process.</para>
/// </remarks>
public static class TerminationSignals
{
    private const int SigBlock = 0;
    private const int SigInt = 2;
    private const int SigTerm = 15;

    /// <summary>Blocks SIGINT and SIGTERM on the calling thread and every thread it starts later; returns whether it did (Linux with glibc only).</summary>
    public static bool BlockOnThisThread()
    {
        if (!OperatingSystem.IsLinux()) return false;
        var set = new ulong[16]; // glibc's sigset_t: 1024 bits
        set[0] = (1UL << (SigInt - 1)) | (1UL << (SigTerm - 1));
        try
        {
            return pthread_sigmask(SigBlock, set, IntPtr.Zero) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc
        }
    }

    [DllImport("libc.so.6")]
    private static extern int pthread_sigmask(int how, ulong[] set, IntPtr oldSet);
}
