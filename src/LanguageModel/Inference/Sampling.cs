namespace LanguageModel;

/// <summary>Picks a word id from logits: greedy, or sampling with temperature, top-k and top-p.</summary>
internal static class Sampling
{
    public static int Pick(float[] logits, GenerationOptions options, Random random)
    {
        if (options.Temperature == 0) return ArgMax(logits);
        return options.TopK is null && options.TopP is null
            ? SampleAll(logits, options.Temperature, random)
            : SampleTop(logits, options, random);
    }

    /// <summary>Softmax sampling over the whole vocabulary, in id order: no sort needed.</summary>
    private static int SampleAll(float[] logits, double temperature, Random random)
    {
        double max = logits[ArgMax(logits)];
        var weights = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++) total += weights[i] = Math.Exp((logits[i] - max) / temperature);
        return Draw(weights, weights.Length, total, random, i => i);
    }

    /// <summary>Sampling among the most likely words: the top K, then the smallest prefix whose probability reaches P.</summary>
    private static int SampleTop(float[] logits, GenerationOptions options, Random random)
    {
        // Sorting negated logits with the ids as items orders the candidates from most to least likely.
        var keys = new float[logits.Length];
        var order = new int[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            keys[i] = -logits[i];
            order[i] = i;
        }
        Array.Sort(keys, order);

        int keep = Math.Min(options.TopK ?? logits.Length, logits.Length);
        double max = logits[order[0]];
        var weights = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) total += weights[i] = Math.Exp((logits[order[i]] - max) / options.Temperature);

        if (options.TopP is { } topP)
        {
            double cumulative = 0;
            int prefix = 0;
            while (prefix < keep && (prefix == 0 || cumulative < topP * total)) cumulative += weights[prefix++];
            keep = prefix;
            total = cumulative;
        }
        return Draw(weights, keep, total, random, i => order[i]);
    }

    private static int Draw(double[] weights, int count, double total, Random random, Func<int, int> idOf)
    {
        double u = random.NextDouble() * total;
        for (int i = 0; i < count; i++)
        {
            u -= weights[i];
            if (u < 0) return idOf(i);
        }
        return idOf(count - 1);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
