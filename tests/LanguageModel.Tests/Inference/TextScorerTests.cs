using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Inference;

[Collection(TorchCollection.Name)]
public class TextScorerTests
{
    /// <summary>Log-probabilities computed directly from the model for the ids after <paramref name="context"/>.</summary>
    private static double[] Manual(PtbLanguageModel model, long[] ids)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (logits, _) = model.call(tensor(ids[..^1], [1, ids.Length - 1]), model.ZeroState(1));
        var logProbs = nn.functional.log_softmax(logits[0], 1);
        return Enumerable.Range(0, ids.Length - 1).Select(t => (double)logProbs[t, ids[t + 1]].item<float>()).ToArray();
    }

    [Fact]
    public void Scores_each_token_given_its_history_with_the_state_carried_across_sentences()
    {
        using var model = TinyModels.Model(seed: 2);
        var scorer = new TextScorer(model, TinyModels.Vocabulary);

        var result = scorer.Score("the cat sat\n  \na dog sat on the mat\n");

        // <eos> the cat sat <eos> a dog sat on the mat <eos>, as one stream
        double[] expected = Manual(model, [2, 0, 3, 4, 2, 7, 8, 4, 5, 0, 6, 2]);
        result.Sentences.Should().HaveCount(2);
        result.Sentences[0].Tokens.Select(t => t.Word).Should().Equal("the", "cat", "sat", "<eos>");
        result.Sentences.SelectMany(s => s.Tokens).Select(t => t.LogProbability).Should().Equal(expected, (a, e) => Math.Abs(a - e) < 1e-5);
        result.Sentences[1].LogProbability.Should().BeApproximately(expected[4..].Sum(), 1e-4);
        result.Sentences[1].Perplexity.Should().BeApproximately(Math.Exp(-expected[4..].Sum() / 7), 1e-4);
        result.TokenCount.Should().Be(11);
        result.LogProbability.Should().BeApproximately(expected.Sum(), 1e-4);
        result.Perplexity.Should().BeApproximately(Math.Exp(-expected.Sum() / 11), 1e-4);
    }

    [Fact]
    public void Unknown_words_are_scored_as_unk_and_marked()
    {
        using var model = TinyModels.Model(seed: 2);

        var result = new TextScorer(model, TinyModels.Vocabulary).Score("the zebra sat");

        var zebra = result.Sentences[0].Tokens[1];
        zebra.Word.Should().Be("zebra");
        zebra.Id.Should().Be(1);
        zebra.IsUnknown.Should().BeTrue();
        zebra.LogProbability.Should().BeApproximately(Manual(model, [2, 0, 1])[1], 1e-5);
        result.Sentences[0].Tokens.Where(t => t.IsUnknown).Should().ContainSingle();
    }

    [Fact]
    public void Without_unk_an_unknown_word_is_an_error_naming_it()
    {
        var vocabulary = new Vocabulary(["the", "<eos>", "cat", "x", "y", "z", "w", "v", "u"]);
        using var model = TinyModels.Model();

        var act = () => new TextScorer(model, vocabulary).Score("the zebra");

        act.Should().Throw<ArgumentException>().WithMessage("The word 'zebra' is not in the vocabulary*");
    }

    [Fact]
    public void Text_without_words_is_rejected()
    {
        using var model = TinyModels.Model();

        var act = () => new TextScorer(model, TinyModels.Vocabulary).Score(" \n\t\n");

        act.Should().Throw<ArgumentException>().WithMessage("There is nothing to score*");
    }

    [Fact]
    public void A_vocabulary_of_another_size_is_rejected()
    {
        using var model = TinyModels.Model();

        var act = () => new TextScorer(model, new Vocabulary(["<eos>", "a"]));

        act.Should().Throw<ArgumentException>().WithMessage("The vocabulary has 2 words but the model predicts 9.*");
    }
}
