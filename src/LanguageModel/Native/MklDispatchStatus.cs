namespace LanguageModel;

/// <summary>What <see cref="MklCpuDispatch.EnableFastKernels"/> found and did.</summary>
public enum MklDispatchStatus
{
    /// <summary>oneMKL was told to use the kernels it reserves for Intel processors; they are chosen by the CPU's features.</summary>
    Enabled,
    /// <summary>oneMKL already uses them: the processor is an Intel one, or the switch was made before.</summary>
    AlreadyEnabled,
    /// <summary>oneMKL already ran and chose its generic kernels; nothing was changed. Call the switch before the first model is built.</summary>
    TooLate,
    /// <summary>Nothing to do here: not Linux on x64, or the loaded libtorch has no oneMKL.</summary>
    NotApplicable,
    /// <summary>The oneMKL in this libtorch is laid out differently from the one this library knows; nothing was changed.</summary>
    UnknownVersion,
}
