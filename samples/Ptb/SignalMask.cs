using System.Runtime.InteropServices;

namespace Ptb;

/// <summary>
/// Keeps Ctrl+C and SIGTERM off the threads that run libtorch.
/// </summary>
/// <remarks>
/// A termination signal that lands on a thread busy inside libtorch (the main thread, or one of the OpenMP workers
/// it starts) corrupted the native heap in about one run in three here ("corrupted size vs. prev_size", then an
/// abort) instead of stopping cleanly; a timer-driven cancellation never did. Blocking the two signals on the main
/// thread before libtorch starts its workers (which inherit the mask) makes the kernel deliver them to one of the
/// runtime's own threads, which hands them to the normal Ctrl+C and SIGTERM handlers.
/// </remarks>
internal static class SignalMask
{
    private const int SigBlock = 0;
    private const int SigInt = 2;
    private const int SigTerm = 15;

    public static void BlockTerminationSignalsOnThisThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        var set = new ulong[16]; // glibc's sigset_t: 1024 bits
        set[0] = (1UL << (SigInt - 1)) | (1UL << (SigTerm - 1));
        try
        {
            pthread_sigmask(SigBlock, set, IntPtr.Zero);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: leave the signals where they are.
        }
    }

    [DllImport("libc.so.6")]
    private static extern int pthread_sigmask(int how, ulong[] set, IntPtr oldSet);
}
