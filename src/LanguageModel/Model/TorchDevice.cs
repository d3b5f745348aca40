using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>Turns a device name (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) into a torch device.</summary>
public static class TorchDevice
{
    /// <summary>
    /// Resolves <paramref name="name"/>: <c>auto</c> (or null) picks CUDA when it is available and the CPU otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of the forms above.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for where there is none; the message says what to install.</exception>
    public static Device Resolve(string? name = "auto")
    {
        bool available = cuda.is_available();
        return device(ResolveName(name, available, available ? cuda.device_count() : 0));
    }

    /// <summary>
    /// The rule behind <see cref="Resolve(string?)"/> with the CUDA facts given, so that every path can be tested on a
    /// machine without a GPU. Returns the canonical name: <c>cpu</c> or <c>cuda:N</c>.
    /// </summary>
    internal static string ResolveName(string? name, bool cudaAvailable, int cudaDeviceCount)
    {
        string spec = (name ?? "auto").Trim().ToLowerInvariant();
        if (spec == "auto") return cudaAvailable ? "cuda:0" : "cpu";
        if (spec == "cpu") return "cpu";

        int index = 0;
        bool isCuda = spec == "cuda" || (spec.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(spec.AsSpan(5), out index) && index >= 0);
        if (!isCuda)
            throw new ArgumentException($"Unknown device '{name}'; use auto, cpu, cuda or cuda:N.", nameof(name));
        if (!cudaAvailable)
            throw new InvalidOperationException(
                $"Device '{name}' was requested, but CUDA is not available: this app references a CPU build of libtorch " +
                "or the machine has no usable NVIDIA GPU and driver. Reference TorchSharp-cuda-linux (or TorchSharp-cuda-windows) " +
                "in the app, or choose --device cpu.");
        if (index >= cudaDeviceCount)
            throw new InvalidOperationException($"Device '{name}' was requested, but only {cudaDeviceCount} CUDA device(s) exist (cuda:0 to cuda:{cudaDeviceCount - 1}).");
        return $"cuda:{index}";
    }
}
