using System.Text;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Data;

public class PtbReaderTests : IDisposable
{
    // The corpus of TensorFlow's reader_test.py (it has leading spaces and no trailing newline).
    private const string TensorFlowTestData = " hello there i am\n rain as day\n want some cheesy puffs ?";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Vocabulary_is_ordered_by_count_then_ordinally_and_every_line_ends_with_eos()
    {
        string path = _dir.File("ptb.train.txt", TensorFlowTestData);

        var vocabulary = PtbReader.BuildVocabulary(path);

        // <eos> occurs 3 times, every other word once; ties in code-point order ('?' < 'a...' < 'w...').
        vocabulary.Words.Should().Equal("<eos>", "?", "am", "as", "cheesy", "day", "hello", "i", "puffs", "rain", "some", "there", "want");
    }

    [Fact]
    public void Ordinal_tie_break_puts_uppercase_before_lowercase()
    {
        string path = _dir.File("train.txt", "b a B a\nb B\n");

        var vocabulary = PtbReader.BuildVocabulary(path);

        // counts: B 2, a 2, b 2, <eos> 2: all tied, so ordinal order decides ('<' 0x3C < 'B' 0x42 < 'a' < 'b').
        vocabulary.Words.Should().Equal("<eos>", "B", "a", "b");
    }

    [Fact]
    public void ReadIds_maps_words_and_appends_eos_per_line()
    {
        string train = _dir.File("train.txt", "a b b\nc <unk> b\n");
        var vocabulary = PtbReader.BuildVocabulary(train);

        string valid = _dir.File("valid.txt", "  b   zebra\ta \r\n\nc\n");
        int[] ids = PtbReader.ReadIds(valid, vocabulary);

        // b=0 (3), <eos>=1 (2), <unk>=2, a=3, c=4 (1 each, ordinal: '<' < 'a' < 'c')
        vocabulary.Words.Should().Equal("b", "<eos>", "<unk>", "a", "c");
        ids.Should().Equal(0, 2, 3, 1, /* empty line */ 1, 4, 1);
    }

    [Fact]
    public void Whitespace_rules_match_python_str_split()
    {
        string train = _dir.File("train.txt", "a\u00a0b\u2003c\vd\fe\n");

        PtbReader.ReadIds(train, PtbReader.BuildVocabulary(train)).Should().HaveCount(6);
    }

    [Fact]
    public void Unknown_word_without_unk_names_file_line_and_word()
    {
        string train = _dir.File("train.txt", "a b\n");
        string valid = _dir.File("valid.txt", "a\nb a\na zebra\n");

        var act = () => PtbReader.ReadIds(valid, PtbReader.BuildVocabulary(train));

        act.Should().Throw<InvalidDataException>().WithMessage($"{valid}: line 3: the word 'zebra'*");
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_not_a_word()
    {
        string path = _dir.File("train.txt", Encoding.UTF8.GetPreamble().Concat("x y\n"u8.ToArray()).ToArray());

        PtbReader.BuildVocabulary(path).Words.Should().BeEquivalentTo("x", "y", "<eos>");
    }

    [Fact]
    public void Invalid_utf8_names_the_file_and_line()
    {
        byte[] bytes = [.. "good line\nsecond\nbad "u8, 0xff, 0xfe, .. " byte\n"u8];
        string path = _dir.File("train.txt", bytes);

        var act = () => PtbReader.BuildVocabulary(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: line 3: not valid UTF-8*0xFF*");
    }

    [Fact]
    public void Missing_file_is_named()
    {
        string path = Path.Combine(_dir.Path, "nope.txt");

        var act = () => PtbReader.BuildVocabulary(path);

        act.Should().Throw<FileNotFoundException>().WithMessage($"{path}*not found*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t\n \r\n")]
    public void Empty_or_whitespace_only_file_is_rejected(string contents)
    {
        string path = _dir.File("train.txt", contents);

        var act = () => PtbReader.BuildVocabulary(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: the corpus*empty*");
    }

    [Fact]
    public void Load_reads_the_three_files_with_the_train_vocabulary()
    {
        // TensorFlow's testPtbRawData: the same text in all three files.
        foreach (var split in new[] { "train", "valid", "test" }) _dir.File($"ptb.{split}.txt", TensorFlowTestData);

        var corpus = PtbReader.Load(_dir.Path);

        corpus.Vocabulary.Count.Should().Be(13);
        corpus.Train.Should().HaveCount(15).And.Equal(corpus.Valid).And.Equal(corpus.Test);
        corpus.Train.Take(5).Should().Equal(6, 11, 7, 2, 0); // hello there i am <eos>
    }

    [Fact]
    public void Load_finds_a_single_named_set_when_there_is_no_ptb_train_file()
    {
        foreach (var split in new[] { "train", "valid", "test" }) _dir.File($"news.{split}.txt", TensorFlowTestData);

        PtbReader.Load(_dir.Path).Vocabulary.Count.Should().Be(13);
        PtbReader.Load(_dir.Path, "news").Train.Should().HaveCount(15);
    }

    [Fact]
    public void Load_asks_for_a_name_when_several_sets_are_present()
    {
        foreach (var name in new[] { "a", "b" })
            foreach (var split in new[] { "train", "valid", "test" }) _dir.File($"{name}.{split}.txt", TensorFlowTestData);

        var act = () => PtbReader.Load(_dir.Path);

        act.Should().Throw<FileNotFoundException>().WithMessage("*found several: *a.train.txt*b.train.txt*pass the name to Load.");
    }

    [Fact]
    public void Load_names_what_it_expects_in_a_directory_without_corpus_files()
    {
        _dir.File("readme.txt", "nothing here");

        var act = () => PtbReader.Load(_dir.Path);

        act.Should().Throw<FileNotFoundException>().WithMessage($"{_dir.Path}: expected ptb.train.txt, ptb.valid.txt and ptb.test.txt*found no *.train.txt.");
    }

    [Fact]
    public void Load_names_a_missing_directory()
    {
        string missing = Path.Combine(_dir.Path, "absent");

        var act = () => PtbReader.Load(missing);

        act.Should().Throw<DirectoryNotFoundException>().WithMessage($"{missing}*ptb.train.txt*");
    }

    [Fact]
    public void Load_names_a_missing_split()
    {
        _dir.File("ptb.train.txt", "a b\n");
        _dir.File("ptb.valid.txt", "a b\n");

        var act = () => PtbReader.Load(_dir.Path);

        act.Should().Throw<FileNotFoundException>().WithMessage($"{Path.Combine(_dir.Path, "ptb.test.txt")}*");
    }
}
