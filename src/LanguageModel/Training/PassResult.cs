namespace LanguageModel;

/// <summary>The outcome of one pass over a split.</summary>
/// <param name="Perplexity"><c>exp(total cost / total time steps)</c>.</param>
/// <param name="Cost">The total cost: cross-entropy summed over time and averaged over the batch, added over windows.</param>
/// <param name="TimeSteps">The time steps the cost covers.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="WordsPerSecond">Predicted words (time steps × batch size) per second.</param>
public sealed record PassResult(double Perplexity, double Cost, long TimeSteps, double Seconds, double WordsPerSecond);
