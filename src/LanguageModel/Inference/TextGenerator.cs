using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Continues a prompt with a trained model, one word at a time: greedy, or sampling with temperature, top-k and
/// top-p (nucleus). Words are streamed as they are produced.
/// </summary>
/// <remarks>
/// The model runs in eval mode without gradients at batch size 1, one step per word with the state carried; each
/// step's tensors are freed before the word is yielded. Sampling happens in .NET from the step's probabilities with a
/// seeded <see cref="Random"/>, so the same seed gives the same text on any device.
/// </remarks>
public sealed class TextGenerator
{
    private readonly PtbLanguageModel _model;
    private readonly Vocabulary _vocabulary;
    private readonly int _endOfSentence;

    /// <summary>Creates a generator for <paramref name="model"/> with the vocabulary it was trained with.</summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the model's, or it has no <c>&lt;eos&gt;</c>.</exception>
    public TextGenerator(PtbLanguageModel model, Vocabulary vocabulary)
    {
        _endOfSentence = ModelVocabulary.EndOfSentenceId(model, vocabulary);
        _model = model;
        _vocabulary = vocabulary;
    }

    /// <summary>Yields the words that continue <paramref name="prompt"/> (which may be empty: a new sentence).</summary>
    /// <param name="prompt">Words in PTB tokenisation; unknown words are read as <c>&lt;unk&gt;</c> (or rejected without it).</param>
    /// <param name="options">How to pick words; defaults when null.</param>
    /// <param name="cancellationToken">Stops between two words.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (checked on the call, before any word).</exception>
    /// <exception cref="KeyNotFoundException">A prompt word is unknown and the vocabulary has no <c>&lt;unk&gt;</c>.</exception>
    public IEnumerable<string> Generate(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        options = (options ?? new GenerationOptions()).Validate();
        int[] context = [_endOfSentence, .. prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(_vocabulary.GetId)];
        return Stream(context, options, cancellationToken);
    }

    private IEnumerable<string> Stream(int[] context, GenerationOptions options, CancellationToken cancellationToken)
    {
        var random = options.Seed is { } seed ? new Random(seed) : new Random();
        bool wasTraining = _model.training;
        _model.eval();
        var state = _model.ZeroState(1);
        try
        {
            // The prompt goes through in one window; then one step per generated word.
            float[] logits = Step(context, ref state);
            for (int produced = 0; produced < options.MaxWords; produced++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int next = Sampling.Pick(logits, options, random);
                yield return _vocabulary.GetWord(next);
                if (next == _endOfSentence && options.StopAtEndOfSentence) yield break;
                if (produced + 1 < options.MaxWords) logits = Step([next], ref state);
            }
        }
        finally
        {
            state.Dispose();
            _model.train(wasTraining);
        }
    }

    /// <summary>Feeds <paramref name="ids"/> and returns the logits after the last one; the new state replaces the old.</summary>
    private float[] Step(int[] ids, ref LstmState state)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor last;
        LstmState next;
        if (ids.Length == 1)
        {
            // One word: the model's single-step path, much cheaper at batch size 1 than the fused LSTM kernel.
            (last, next) = _model.Step(tensor(new long[] { ids[0] }), state);                          // [1, V]
        }
        else
        {
            (var logits, next) = _model.call(tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]), state); // [1, T, V]
            last = logits[.., -1];                                                                   // [1, V]
        }
        float[] values = last[0].cpu().data<float>().ToArray();                                      // [V]
        var carried = next.Detach();
        state.Dispose();
        state = carried;
        return values;
    }
}
