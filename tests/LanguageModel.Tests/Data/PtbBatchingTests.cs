namespace LanguageModel.Tests.Data;

public class PtbBatchingTests
{
    private static (long[,] Input, long[,] Target)[] Windows(int[] ids, int batchSize, int numSteps)
    {
        var result = new List<(long[,], long[,])>();
        foreach (var batch in PtbReader.Batches(ids, batchSize, numSteps))
        {
            using (batch)
            {
                batch.Input.shape.Should().Equal(batchSize, numSteps);
                batch.Target.shape.Should().Equal(batchSize, numSteps);
                batch.Input.dtype.Should().Be(TorchSharp.torch.ScalarType.Int64);
                batch.Input.device_type.Should().Be(TorchSharp.DeviceType.CPU);
                result.Add((ToMatrix(batch.Input), ToMatrix(batch.Target)));
            }
        }
        return result.ToArray();
    }

    private static long[,] ToMatrix(TorchSharp.torch.Tensor t)
    {
        var data = t.data<long>().ToArray();
        var m = new long[t.shape[0], t.shape[1]];
        for (int i = 0; i < data.Length; i++) m[i / t.shape[1], i % t.shape[1]] = data[i];
        return m;
    }

    [Fact]
    public void Matches_tensorflow_reader_test_ptb_producer()
    {
        int[] raw = [4, 3, 2, 1, 0, 5, 6, 1, 1, 1, 1, 0, 3, 4, 1];

        var windows = Windows(raw, batchSize: 3, numSteps: 2);

        windows.Should().HaveCount(2);
        windows[0].Input.Should().BeEquivalentTo(new long[,] { { 4, 3 }, { 5, 6 }, { 1, 0 } });
        windows[0].Target.Should().BeEquivalentTo(new long[,] { { 3, 2 }, { 6, 1 }, { 0, 3 } });
        windows[1].Input.Should().BeEquivalentTo(new long[,] { { 2, 1 }, { 1, 1 }, { 3, 4 } });
        windows[1].Target.Should().BeEquivalentTo(new long[,] { { 1, 0 }, { 1, 1 }, { 4, 1 } });
    }

    [Fact]
    public void Drops_the_remainder_and_the_unusable_last_column()
    {
        // 23 tokens, batch 2: rows of 11 (token 22 dropped); (11 - 1) / 3 = 3 windows, column 10 only a target.
        int[] ids = Enumerable.Range(0, 23).ToArray();

        var windows = Windows(ids, batchSize: 2, numSteps: 3);

        windows.Should().HaveCount(3);
        windows[2].Input.Should().BeEquivalentTo(new long[,] { { 6, 7, 8 }, { 17, 18, 19 } });
        windows[2].Target.Should().BeEquivalentTo(new long[,] { { 7, 8, 9 }, { 18, 19, 20 } });
    }

    [Theory]
    [InlineData(929_589, 20, 20, 2323)]
    [InlineData(929_589, 20, 35, 1327)]
    [InlineData(82_430, 1, 35, 2355)]
    [InlineData(15, 3, 2, 2)]
    [InlineData(4, 2, 1, 1)]
    public void EpochSize_follows_ptb_producer(int tokens, int batchSize, int numSteps, int expected)
    {
        PtbReader.EpochSize(tokens, batchSize, numSteps).Should().Be(expected);
    }

    [Theory]
    [InlineData(3, 2, 1)]
    [InlineData(15, 3, 5)]
    [InlineData(0, 1, 1)]
    [InlineData(10, 20, 1)]
    public void Too_little_data_for_one_window_says_what_to_change(int tokens, int batchSize, int numSteps)
    {
        var act = () => PtbReader.EpochSize(tokens, batchSize, numSteps);

        act.Should().Throw<ArgumentException>().WithMessage("*decrease the batch size or the number of steps*");
    }

    [Fact]
    public void Batches_checks_its_arguments_when_called_not_when_enumerated()
    {
        var act = () => PtbReader.Batches([1, 2, 3], 2, 5);

        act.Should().Throw<ArgumentException>().WithMessage("*decrease*");
    }

    [Theory]
    [InlineData(-1, 1, 1, "tokenCount")]
    [InlineData(10, 0, 1, "batchSize")]
    [InlineData(10, 1, 0, "numSteps")]
    public void Rejects_non_positive_sizes_by_name(int tokens, int batchSize, int numSteps, string parameter)
    {
        var act = () => PtbReader.EpochSize(tokens, batchSize, numSteps);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter);
    }
}
