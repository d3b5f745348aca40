namespace Ptb;

/// <summary>Turns the exceptions a user can cause into one line on standard error and an exit code.</summary>
internal static class CliErrors
{
    public const int BadInput = 2;
    public const int Interrupted = 130;

    public static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("ptb: interrupted; stopped cleanly.");
            return Interrupted;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException
                                      or InvalidOperationException or KeyNotFoundException or LanguageModel.TrainingDivergedException)
        {
            Console.Error.WriteLine($"ptb: {e.Message}");
            return BadInput;
        }
    }
}
