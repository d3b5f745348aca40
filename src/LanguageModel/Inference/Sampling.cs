namespace LanguageModel;

/// <summary>Picks a word id from logits: greedy, or sampling with temperature, top-k and top-p.</summary>
internal static class Sampling
{
    public static int Pick(float[] logits, GenerationOptions options, Random random)
    {
        if (options.Temperature == 0) return ArgMax(logits);

        // Candidates from most to least likely; softmax with temperature, computed stably from the largest logit.
        int[] order = Enumerable.Range(0, logits.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int byLogit = logits[b].CompareTo(logits[a]);
            return byLogit != 0 ? byLogit : a.CompareTo(b);
        });
        int keep = Math.Min(options.TopK ?? logits.Length, logits.Length);
        double max = logits[order[0]];
        var weights = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) total += weights[i] = Math.Exp((logits[order[i]] - max) / options.Temperature);

        if (options.TopP is { } topP)
        {
            // The smallest prefix whose probability reaches P (at least one word).
            double cumulative = 0;
            int prefix = 0;
            while (prefix < keep && (prefix == 0 || cumulative < topP * total)) cumulative += weights[prefix++];
            keep = prefix;
            total = cumulative;
        }

        double u = random.NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            u -= weights[i];
            if (u < 0) return order[i];
        }
        return order[keep - 1];
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
