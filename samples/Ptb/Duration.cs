using System.Globalization;

namespace Ptb;

/// <summary>Reads durations such as <c>60m</c>, <c>1.5h</c>, <c>90s</c> or <c>01:00:00</c> from the command line.</summary>
internal static class Duration
{
    public static TimeSpan Parse(string text, string option)
    {
        string value = text.Trim();
        TimeSpan? parsed = value.Length > 1 && double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount > 0
            ? char.ToLowerInvariant(value[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => null,
            }
            : TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span : null;
        return parsed ?? throw new ArgumentException($"{option}: '{text}' is not a duration; write it like 60m, 1.5h, 90s or 01:00:00.");
    }
}
