namespace Ptb;

/// <summary>Turns the exceptions a user can cause into one line on standard error and an exit code.</summary>
internal static class CliErrors
{
    public const int BadInput = 2;
    public const int Interrupted = 130;

    /// <summary>The message without the parameter-name and actual-value lines that argument exceptions append.</summary>
    private static string OneLine(Exception e)
    {
        string message = e.Message.Split('\n')[0].TrimEnd();
        if (e is ArgumentException { ParamName: { } name })
            message = message.Replace($" (Parameter '{name}')", "");
        return message;
    }

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
            Console.Error.WriteLine($"ptb: {OneLine(e)}");
            return BadInput;
        }
    }
}
