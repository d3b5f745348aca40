using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Scores text with a trained model: the log-probability of every token, and per-sentence and total perplexity.
/// </summary>
/// <remarks>
/// Sentences are read as PTB tokenises them (words separated by whitespace, one sentence per line) and each ends
/// with <c>&lt;eos&gt;</c>. The state starts at zero with <c>&lt;eos&gt;</c> as the context of the first word, and is
/// carried from sentence to sentence as the test pass carries it, so later sentences are scored in the context of
/// earlier ones. Words outside the vocabulary are scored as <c>&lt;unk&gt;</c> and marked.
/// </remarks>
public sealed class TextScorer
{
    private readonly PtbLanguageModel _model;
    private readonly Vocabulary _vocabulary;
    private readonly int _endOfSentence;

    /// <summary>Creates a scorer for <paramref name="model"/> with the vocabulary it was trained with.</summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the model's, or it has no <c>&lt;eos&gt;</c>.</exception>
    public TextScorer(PtbLanguageModel model, Vocabulary vocabulary)
    {
        _endOfSentence = ModelVocabulary.EndOfSentenceId(model, vocabulary);
        _model = model;
        _vocabulary = vocabulary;
    }

    /// <summary>Scores <paramref name="text"/>, one sentence per non-blank line.</summary>
    public ScoreResult Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Score(text.Split('\n').Where(line => !string.IsNullOrWhiteSpace(line)));
    }

    /// <summary>Scores each sentence in order, the state carried from one to the next.</summary>
    /// <exception cref="ArgumentException">No sentence has a word, or a word is unknown and the vocabulary has no <c>&lt;unk&gt;</c>.</exception>
    public ScoreResult Score(IEnumerable<string> sentences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var results = new List<SentenceScore>();
        bool wasTraining = _model.training;
        _model.eval();
        var state = _model.ZeroState(1);
        int previous = _endOfSentence;
        try
        {
            foreach (string sentence in sentences)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var words = sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0) continue;
                var tokens = words.Select(Lookup).Append((Word: Vocabulary.EndOfSentence, Id: _endOfSentence, IsUnknown: false)).ToArray();

                double[] logProbabilities;
                using (no_grad())
                using (NewDisposeScope())
                {
                    long[] inputIds = [previous, .. tokens[..^1].Select(t => (long)t.Id)];
                    long[] targetIds = tokens.Select(t => (long)t.Id).ToArray();
                    var (logits, next) = _model.call(tensor(inputIds, [1, inputIds.Length]), state);   // [1, T, V]
                    var logProbs = nn.functional.log_softmax(logits[0], dim: 1);                         // [T, V]
                    var picked = logProbs.gather(1, tensor(targetIds, [targetIds.Length, 1], device: _model.Device)); // [T, 1]
                    logProbabilities = picked.cpu().to_type(ScalarType.Float64).data<double>().ToArray();
                    var carried = next.Detach();
                    state.Dispose();
                    state = carried;
                }
                previous = _endOfSentence;

                var scores = tokens.Select((t, i) => new TokenScore(t.Word, t.Id, logProbabilities[i], t.IsUnknown)).ToArray();
                double total = logProbabilities.Sum();
                results.Add(new SentenceScore(sentence.Trim(), scores, total, Math.Exp(-total / scores.Length)));
            }
        }
        finally
        {
            state.Dispose();
            _model.train(wasTraining);
        }
        if (results.Count == 0) throw new ArgumentException("There is nothing to score: the text has no words.", nameof(sentences));
        double logProbability = results.Sum(r => r.LogProbability);
        int count = results.Sum(r => r.Tokens.Count);
        return new ScoreResult(results, logProbability, count, Math.Exp(-logProbability / count));
    }

    private (string Word, int Id, bool IsUnknown) Lookup(string word)
    {
        if (_vocabulary.TryGetId(word, out int id)) return (word, id, false);
        if (_vocabulary.HasUnknownWord) return (word, _vocabulary.GetId(Vocabulary.UnknownWord), true);
        throw new ArgumentException($"The word '{word}' is not in the vocabulary, which has no '{Vocabulary.UnknownWord}' to stand for it.");
    }
}
