namespace LanguageModel.Tests.Data;

public class VocabularyTests
{
    [Fact]
    public void Ids_are_positions_and_round_trip()
    {
        var vocabulary = new Vocabulary(["the", "<unk>", "<eos>", "cat"]);

        vocabulary.Count.Should().Be(4);
        vocabulary.GetId("cat").Should().Be(3);
        vocabulary.GetWord(2).Should().Be("<eos>");
        vocabulary.Words.Should().Equal("the", "<unk>", "<eos>", "cat");
    }

    [Fact]
    public void Unknown_word_maps_to_unk_when_present()
    {
        var vocabulary = new Vocabulary(["the", "<unk>"]);

        vocabulary.GetId("zebra").Should().Be(1);
        vocabulary.TryGetId("zebra", out _).Should().BeFalse();
        vocabulary.HasUnknownWord.Should().BeTrue();
    }

    [Fact]
    public void Unknown_word_without_unk_is_an_error_naming_the_word()
    {
        var vocabulary = new Vocabulary(["the", "cat"]);

        var act = () => vocabulary.GetId("zebra");

        act.Should().Throw<KeyNotFoundException>().WithMessage("*'zebra'*");
    }

    [Fact]
    public void GetWord_rejects_ids_out_of_range()
    {
        var vocabulary = new Vocabulary(["a", "b"]);

        vocabulary.Invoking(v => v.GetWord(2)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*0 to 1*");
        vocabulary.Invoking(v => v.GetWord(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(new[] { "a", "b", "a" }, "*'a' appears twice*")]
    [InlineData(new[] { "a", "b c" }, "*whitespace*")]
    [InlineData(new[] { "a", "" }, "*empty*")]
    [InlineData(new string[0], "*at least one word*")]
    public void Rejects_bad_word_lists(string[] words, string message)
    {
        var act = () => new Vocabulary(words);

        act.Should().Throw<ArgumentException>().WithMessage(message);
    }
}
