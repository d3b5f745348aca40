using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// The running average of parameter iterates behind averaged SGD (Polyak &amp; Juditsky 1992; NT-ASGD in Merity et al.
/// 2017): after <see cref="Update"/> has been called n times, the average is the mean of the n parameter values it saw.
/// <see cref="SwapIn"/> puts the average into the model for evaluation or saving, and back out when disposed.
/// </summary>
public sealed class ParameterAverager : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor[] averages;
    private bool swapped;

    /// <summary>Starts an empty average of <paramref name="parameters"/>.</summary>
    public ParameterAverager(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        this.parameters = [.. parameters];
        using var noGrad = no_grad();
        averages = [.. this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
    }

    /// <summary>How many iterates the average holds.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the parameters' current values to the average: <c>avg += (p − avg) / n</c>.</summary>
    /// <exception cref="InvalidOperationException">The average is swapped in.</exception>
    public void Update()
    {
        if (swapped) throw new InvalidOperationException("The average is swapped into the model; dispose the swap before updating.");
        Count++;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++)
            averages[i].add_(parameters[i] - averages[i], alpha: 1.0 / Count);
    }

    /// <summary>Exchanges the parameters' values with the average until the returned object is disposed.</summary>
    /// <exception cref="InvalidOperationException">Nothing has been averaged yet, or the average is already swapped in.</exception>
    public IDisposable SwapIn()
    {
        if (Count == 0) throw new InvalidOperationException("The average is empty: call Update at least once.");
        if (swapped) throw new InvalidOperationException("The average is already swapped in.");
        Exchange();
        swapped = true;
        return new Swap(this);
    }

    /// <summary>Writes the average into the parameters for good (the end of an averaged-SGD run).</summary>
    /// <exception cref="InvalidOperationException">The average is swapped in.</exception>
    public void CommitToParameters()
    {
        if (swapped) throw new InvalidOperationException("The average is swapped in; dispose the swap first.");
        if (Count == 0) return;
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++) parameters[i].copy_(averages[i]);
    }

    private void Exchange()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            var current = parameters[i].detach().clone();
            parameters[i].copy_(averages[i]);
            averages[i].copy_(current);
        }
    }

    /// <summary>Releases the averages (swapping the model's own values back first if needed).</summary>
    public void Dispose()
    {
        if (swapped) { Exchange(); swapped = false; }
        foreach (var average in averages) average.Dispose();
    }

    private sealed class Swap(ParameterAverager owner) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            owner.Exchange();
            owner.swapped = false;
        }
    }
}
