using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class EmbeddingDropoutTests
{
    [Fact]
    public void Drops_whole_word_types_every_time_they_occur()
    {
        manual_seed(5);
        const int vocabulary = 200;
        using var ids = arange(vocabulary, dtype: int64).repeat(3).reshape(3, vocabulary); // every word in every row
        using var embedded = ones(3, vocabulary, 4);

        using var dropped = EmbeddingDropout.Apply(embedded, ids, vocabulary, 0.25);

        var values = dropped.data<float>().ToArray();
        for (int word = 0; word < vocabulary; word++)
        {
            float scale = values[word * 4];
            scale.Should().BeOneOf(0f, 1f / 0.75f);
            for (int row = 0; row < 3; row++)
                for (int f = 0; f < 4; f++)
                    values[(row * vocabulary + word) * 4 + f].Should().Be(scale, $"word {word} must be dropped or kept everywhere");
        }
        double droppedShare = Enumerable.Range(0, vocabulary).Count(w => values[w * 4] == 0) / (double)vocabulary;
        droppedShare.Should().BeInRange(0.15, 0.35);
    }

    [Fact]
    public void Probability_zero_changes_nothing()
    {
        using var ids = tensor(new long[] { 1, 2, 3 }, [1, 3]);
        using var embedded = randn(1, 3, 4);
        using var result = EmbeddingDropout.Apply(embedded, ids, 10, 0);
        result.SameValues(embedded).Should().BeTrue();
    }
}
