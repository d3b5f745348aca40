namespace LanguageModel;

/// <summary>Training stopped because the cost became NaN or infinite.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the window where the cost stopped being finite.</summary>
    public TrainingDivergedException(int epoch, int window, double cost)
        : base($"Training diverged: the cost became {cost} at epoch {epoch}, window {window}. " +
               "Lower the learning rate or the gradient-clipping norm (MaxGradNorm), or check the data.")
    {
        Epoch = epoch;
        Window = window;
        Cost = cost;
    }

    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>The 1-based window within the epoch.</summary>
    public int Window { get; }

    /// <summary>The cost that was not finite.</summary>
    public double Cost { get; }
}
