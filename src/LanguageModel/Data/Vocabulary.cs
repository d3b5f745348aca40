using System.Collections.ObjectModel;

namespace LanguageModel;

/// <summary>
/// A word list with a stable id for each word (the id is the word's index in <see cref="Words"/>).
/// Words not in the vocabulary map to <see cref="UnknownWord"/> when the vocabulary contains it.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The token that stands for any word outside the vocabulary (PTB already uses it for rare words).</summary>
    public const string UnknownWord = "<unk>";

    /// <summary>The token that ends every line (sentence) of a corpus.</summary>
    public const string EndOfSentence = "<eos>";

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;
    private readonly int _unknownId;

    /// <summary>Creates a vocabulary whose ids are the positions of <paramref name="words"/>.</summary>
    /// <param name="words">Distinct, non-empty words without whitespace, in id order.</param>
    /// <exception cref="ArgumentException">A word is empty, contains whitespace or appears twice; or the list is empty.</exception>
    public Vocabulary(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var list = new List<string>();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var word in words)
        {
            if (string.IsNullOrEmpty(word) || word.AsSpan().ContainsAny(Tokenizer.Whitespace))
                throw new ArgumentException($"Vocabulary word #{list.Count} ('{word}') is empty or contains whitespace.", nameof(words));
            if (!_ids.TryAdd(word, list.Count))
                throw new ArgumentException($"Vocabulary word '{word}' appears twice (ids {_ids[word]} and {list.Count}).", nameof(words));
            list.Add(word);
        }
        if (list.Count == 0) throw new ArgumentException("A vocabulary needs at least one word.", nameof(words));
        Words = new ReadOnlyCollection<string>(list);
        _spanIds = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _unknownId = _ids.TryGetValue(UnknownWord, out int unk) ? unk : -1;
    }

    /// <summary>The number of words; ids run from 0 to <c>Count - 1</c>.</summary>
    public int Count => Words.Count;

    /// <summary>The words in id order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Whether the vocabulary contains <see cref="UnknownWord"/>, so that any word can be mapped.</summary>
    public bool HasUnknownWord => _unknownId >= 0;

    /// <summary>Returns the id of <paramref name="word"/>, or the id of <c>&lt;unk&gt;</c> when the word is unknown.</summary>
    /// <exception cref="KeyNotFoundException">The word is unknown and the vocabulary has no <c>&lt;unk&gt;</c>.</exception>
    public int GetId(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return GetId(word.AsSpan());
    }

    /// <summary>Returns the id of <paramref name="word"/>, or the id of <c>&lt;unk&gt;</c> when the word is unknown.</summary>
    /// <exception cref="KeyNotFoundException">The word is unknown and the vocabulary has no <c>&lt;unk&gt;</c>.</exception>
    public int GetId(ReadOnlySpan<char> word)
    {
        if (_spanIds.TryGetValue(word, out int id)) return id;
        if (_unknownId >= 0) return _unknownId;
        throw new KeyNotFoundException($"The word '{word}' is not in the vocabulary, which has no '{UnknownWord}' to stand for it.");
    }

    /// <summary>Looks up <paramref name="word"/> exactly (no <c>&lt;unk&gt;</c> fallback).</summary>
    /// <returns>Whether the word is in the vocabulary.</returns>
    public bool TryGetId(string word, out int id)
    {
        ArgumentNullException.ThrowIfNull(word);
        return _ids.TryGetValue(word, out id);
    }

    /// <summary>Looks up <paramref name="word"/> exactly (no <c>&lt;unk&gt;</c> fallback).</summary>
    /// <returns>Whether the word is in the vocabulary.</returns>
    public bool TryGetId(ReadOnlySpan<char> word, out int id) => _spanIds.TryGetValue(word, out id);

    /// <summary>Returns the word with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in <c>[0, Count)</c>.</exception>
    public string GetWord(int id)
    {
        if ((uint)id >= (uint)Words.Count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Word ids run from 0 to {Words.Count - 1}.");
        return Words[id];
    }

    /// <summary>Describes the first difference from <paramref name="other"/>, or returns null when both hold the same words in the same order.</summary>
    public string? FirstDifference(Vocabulary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int id = 0; id < Math.Min(Count, other.Count); id++)
            if (!string.Equals(Words[id], other.Words[id], StringComparison.Ordinal))
                return $"id {id} is '{Words[id]}' in one and '{other.Words[id]}' in the other ({Count} and {other.Count} words)";
        return Count == other.Count ? null : $"one has {Count} words and the other {other.Count}";
    }
}
