using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Data;

/// <summary>
/// The real Penn Treebank against values computed by an independent Python port of TensorFlow's reader.py
/// (<c>Counter</c>, sorted by <c>(-count, word)</c>, <c>read().replace("\n", "&lt;eos&gt;").split()</c>).
/// Needs <c>PTB_DATA_DIR</c>.
/// </summary>
public class PtbGoldenTests
{
    private static readonly Lazy<PtbCorpus> Corpus = new(() => PtbReader.Load(PtbData.RequireDirectory()));

    private static PtbCorpus Load()
    {
        PtbData.RequireDirectory();
        return Corpus.Value;
    }

    [SkippableFact]
    public void Vocabulary_has_10000_words_with_the_known_head_and_tail()
    {
        var vocabulary = Load().Vocabulary;

        vocabulary.Count.Should().Be(10_000);
        vocabulary.Words.Take(10).Should().Equal("the", "<unk>", "<eos>", "N", "of", "to", "a", "in", "and", "'s");
        vocabulary.GetWord(9_999).Should().Be("wachter");
    }

    [SkippableFact]
    public void Token_counts_and_id_checksums_match_tensorflow()
    {
        var corpus = Load();

        corpus.Train.Should().HaveCount(929_589);
        corpus.Valid.Should().HaveCount(73_760);
        corpus.Test.Should().HaveCount(82_430);
        corpus.Train.Sum(id => (long)id).Should().Be(759_998_516);
        corpus.Valid.Sum(id => (long)id).Should().Be(64_187_385);
        corpus.Test.Sum(id => (long)id).Should().Be(63_559_387);
        corpus.Train.Take(12).Should().Equal(9970, 9971, 9972, 9974, 9975, 9976, 9980, 9981, 9982, 9983, 9984, 9986);
        corpus.Valid.Take(12).Should().Equal(1132, 93, 358, 5, 329, 51, 9836, 6, 326, 2476, 5, 0);
        corpus.Test.Take(12).Should().Equal(102, 14, 24, 32, 752, 381, 2, 29, 120, 0, 35, 92);
        corpus.Test.TakeLast(3).Should().Equal(22, 505, 2);
    }

    [SkippableFact]
    public void Medium_config_windows_match_tensorflow()
    {
        var train = Load().Train;

        var batches = PtbReader.Batches(train, batchSize: 20, numSteps: 35).ToList();
        try
        {
            batches.Should().HaveCount(1327);
            batches[0].Input[0, ..5].data<long>().ToArray().Should().Equal(9970, 9971, 9972, 9974, 9975);
            batches[0].Input[19, ..5].data<long>().ToArray().Should().Equal(7831, 36, 1678, 667, 134);
            batches[^1].Input[7, ..3].data<long>().ToArray().Should().Equal(357, 5, 243);
            batches[^1].Target[7, ..3].data<long>().ToArray().Should().Equal(5, 243, 218);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }
}
