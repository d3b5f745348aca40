using System.Runtime.InteropServices;
using TorchSharp;

namespace LanguageModel;

/// <summary>
/// Reads Penn Treebank style corpora and cuts them into training windows, with the semantics of TensorFlow's
/// PTB tutorial reader (<c>reader.py</c>: <c>_build_vocab</c>, <c>_file_to_word_ids</c>, <c>ptb_producer</c>).
/// </summary>
/// <remarks>
/// <para>A corpus is UTF-8 text, one sentence per line, words separated by whitespace. Every line ends with
/// the token <c>&lt;eos&gt;</c>.</para>
/// <para>One difference from TensorFlow: a word missing from the vocabulary becomes <c>&lt;unk&gt;</c> when the
/// vocabulary has it, and is otherwise an error naming the file, line and word. TensorFlow silently drops it,
/// which shifts every later target without a trace.</para>
/// </remarks>
public static class PtbReader
{
    /// <summary>The training file's name inside a PTB data directory.</summary>
    public const string TrainFileName = "ptb.train.txt";

    /// <summary>The validation file's name inside a PTB data directory.</summary>
    public const string ValidFileName = "ptb.valid.txt";

    /// <summary>The test file's name inside a PTB data directory.</summary>
    public const string TestFileName = "ptb.test.txt";

    /// <summary>
    /// Builds the vocabulary of a training file: every distinct token, <c>&lt;eos&gt;</c> included, ordered by count
    /// (most frequent first), ties broken by ordinal (code-point) order of the word. Ids follow that order.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, holds only whitespace, or is not valid UTF-8.</exception>
    public static Vocabulary BuildVocabulary(string trainPath)
    {
        ArgumentNullException.ThrowIfNull(trainPath);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        Tokenizer.ForEachToken(trainPath, (token, _) =>
        {
            // The alternate lookup allocates the key string only the first time a word is seen.
            ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, token, out bool _);
            count++;
        });
        var words = counts.ToList();
        words.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        return new Vocabulary(words.Select(pair => pair.Key));
    }

    /// <summary>Reads a corpus file as word ids, <c>&lt;eos&gt;</c> at the end of every line.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, holds only whitespace, is not valid UTF-8, or holds a
    /// word that the vocabulary lacks while the vocabulary has no <c>&lt;unk&gt;</c>.</exception>
    public static int[] ReadIds(string path, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var ids = new List<int>();
        Tokenizer.ForEachToken(path, (token, line) =>
        {
            if (vocabulary.TryGetId(token, out int id))
                ids.Add(id);
            else if (vocabulary.HasUnknownWord)
                ids.Add(vocabulary.GetId(Vocabulary.UnknownWord));
            else
                throw new InvalidDataException(
                    $"{path}: line {line}: the word '{token}' is not in the vocabulary, which has no '{Vocabulary.UnknownWord}' to stand for it.");
        });
        return ids.ToArray();
    }

    /// <summary>
    /// Loads a corpus directory: the vocabulary of its training file and the ids of its train, valid and test files.
    /// The files are <c>ptb.train.txt</c>, <c>ptb.valid.txt</c> and <c>ptb.test.txt</c>, or, when there is no
    /// <c>ptb.train.txt</c>, the one set <c>NAME.train.txt</c>, <c>NAME.valid.txt</c>, <c>NAME.test.txt</c> in the directory.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">No training file, several candidate sets, or a missing valid or test file.</exception>
    /// <exception cref="InvalidDataException">A file is empty, not UTF-8, or holds a word that cannot be mapped.</exception>
    public static PtbCorpus Load(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        RequireDirectory(dataDirectory);
        if (File.Exists(Path.Combine(dataDirectory, TrainFileName))) return Load(dataDirectory, "ptb");
        var candidates = Directory.GetFiles(dataDirectory, "*.train.txt").Order(StringComparer.Ordinal).ToArray();
        if (candidates.Length != 1)
            throw new FileNotFoundException(
                $"{dataDirectory}: expected {TrainFileName}, {ValidFileName} and {TestFileName} (or one NAME.train.txt, NAME.valid.txt, NAME.test.txt set), " +
                (candidates.Length == 0 ? "found no *.train.txt." : $"found several: {string.Join(", ", candidates.Select(Path.GetFileName))}; pass the name to Load."),
                Path.Combine(dataDirectory, TrainFileName));
        string name = Path.GetFileName(candidates[0]);
        return Load(dataDirectory, name[..^".train.txt".Length]);
    }

    /// <summary>Loads <c>NAME.train.txt</c>, <c>NAME.valid.txt</c> and <c>NAME.test.txt</c> from <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">The directory holding the three files.</param>
    /// <param name="name">The files' common name, for example <c>ptb</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the three files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is empty, not UTF-8, or holds a word that cannot be mapped.</exception>
    public static PtbCorpus Load(string dataDirectory, string name)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        RequireDirectory(dataDirectory);
        string Require(string split)
        {
            string path = Path.Combine(dataDirectory, $"{name}.{split}.txt");
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: corpus file not found (a data directory holds {name}.train.txt, {name}.valid.txt and {name}.test.txt).", path);
            return path;
        }
        string train = Require("train"), valid = Require("valid"), test = Require("test");
        var vocabulary = BuildVocabulary(train);
        return new PtbCorpus(vocabulary, ReadIds(train, vocabulary), ReadIds(valid, vocabulary), ReadIds(test, vocabulary));
    }

    private static void RequireDirectory(string dataDirectory)
    {
        if (!Directory.Exists(dataDirectory))
            throw new DirectoryNotFoundException(
                $"{dataDirectory}: PTB data directory not found. It must hold {TrainFileName}, {ValidFileName} and {TestFileName}.");
    }

    /// <summary>
    /// The number of <c>[batchSize, numSteps]</c> windows in one pass over <paramref name="tokenCount"/> tokens:
    /// <c>(tokenCount / batchSize - 1) / numSteps</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or a size is not positive.</exception>
    /// <exception cref="ArgumentException">The data is too short for a single window.</exception>
    public static int EpochSize(int tokenCount, int batchSize, int numSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numSteps);
        int batchLength = tokenCount / batchSize;
        // The targets are the inputs shifted by one, so the last column of each row can only be a target.
        int epochSize = batchLength < 1 ? 0 : (batchLength - 1) / numSteps;
        if (epochSize == 0)
            throw new ArgumentException(
                $"{tokenCount} tokens give no window of batch size {batchSize} and {numSteps} steps " +
                $"(each of the {batchSize} rows holds {batchLength} tokens and needs at least {numSteps + 1}): " +
                "decrease the batch size or the number of steps.");
        return epochSize;
    }

    /// <summary>
    /// Cuts a token stream into training windows, as TensorFlow's <c>ptb_producer</c> does.
    /// </summary>
    /// <remarks>
    /// <code>
    /// ids (n tokens):  t0 t1 t2 ... t(n-1)        batchLen = n / batchSize  (the remainder is dropped)
    ///
    /// laid out row by row as [batchSize, batchLen]:
    ///   row 0:  t0            t1            ...  t(batchLen-1)
    ///   row 1:  t(batchLen)   t(batchLen+1) ...
    ///   ...
    ///                |&lt;-- numSteps --&gt;|&lt;-- numSteps --&gt;| ...   epochSize = (batchLen - 1) / numSteps
    /// window i:  Input  = data[:, i*numSteps     .. (i+1)*numSteps    )
    ///            Target = data[:, i*numSteps + 1 .. (i+1)*numSteps + 1)
    /// </code>
    /// Each row is a contiguous stretch of text, so row b of window i+1 continues row b of window i: the hidden
    /// state can be carried from one window to the next. Windows are produced lazily; dispose each one.
    /// </remarks>
    /// <exception cref="ArgumentException">The data is too short for a single window (see <see cref="EpochSize"/>).</exception>
    public static IEnumerable<PtbBatch> Batches(int[] ids, int batchSize, int numSteps)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int epochSize = EpochSize(ids.Length, batchSize, numSteps);
        return Produce(ids, batchSize, numSteps, epochSize);
    }

    private static IEnumerable<PtbBatch> Produce(int[] ids, int batchSize, int numSteps, int epochSize)
    {
        int batchLength = ids.Length / batchSize;
        var input = new long[batchSize * numSteps];
        var target = new long[batchSize * numSteps];
        for (int window = 0; window < epochSize; window++)
        {
            for (int row = 0; row < batchSize; row++)
            {
                int from = row * batchLength + window * numSteps;
                for (int step = 0; step < numSteps; step++)
                {
                    input[row * numSteps + step] = ids[from + step];
                    target[row * numSteps + step] = ids[from + step + 1];
                }
            }
            // torch.tensor copies the arrays, so they can be refilled for the next window.
            yield return new PtbBatch(
                window,
                torch.tensor(input, [batchSize, numSteps], torch.int64),
                torch.tensor(target, [batchSize, numSteps], torch.int64));
        }
    }
}
