namespace Ptb;

/// <summary>
/// A live one-line progress bar on an interactive terminal, redrawn in place at most ten times a second.
/// Prints nothing when the output is redirected, so logs stay clean.
/// </summary>
internal sealed class ConsoleProgressLine
{
    private const int BarWidth = 30;
    private readonly bool _enabled = !Console.IsOutputRedirected;
    private long _lastDraw = long.MinValue;
    private int _lastLength;

    public void Update(double fraction, string text)
    {
        if (!_enabled) return;
        long now = Environment.TickCount64;
        if (now - _lastDraw < 100 && fraction < 1) return;
        _lastDraw = now;
        fraction = Math.Clamp(fraction, 0, 1);
        int filled = (int)Math.Round(fraction * BarWidth);
        string line = $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {fraction,4:P0} {text}";
        Console.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
    }

    public void Clear()
    {
        if (!_enabled || _lastLength == 0) return;
        Console.Write("\r" + new string(' ', _lastLength) + "\r");
        _lastLength = 0;
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, in order.</summary>
internal sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
