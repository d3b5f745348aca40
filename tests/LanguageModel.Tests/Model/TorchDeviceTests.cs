using TorchSharp;

namespace LanguageModel.Tests.Model;

public class TorchDeviceTests
{
    [Theory]
    [InlineData("auto", true, 1, "cuda:0")]
    [InlineData("auto", false, 0, "cpu")]
    [InlineData(null, true, 2, "cuda:0")]
    [InlineData("cpu", true, 1, "cpu")]
    [InlineData(" CPU ", false, 0, "cpu")]
    [InlineData("cuda", true, 1, "cuda:0")]
    [InlineData("cuda:1", true, 2, "cuda:1")]
    public void Resolves_names(string? name, bool cudaAvailable, int count, string expected)
    {
        TorchDevice.ResolveName(name, cudaAvailable, count).Should().Be(expected);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    public void Cuda_where_there_is_none_says_what_to_do(string name)
    {
        var act = () => TorchDevice.ResolveName(name, cudaAvailable: false, cudaDeviceCount: 0);

        act.Should().Throw<InvalidOperationException>().WithMessage($"Device '{name}'*CUDA is not available*TorchSharp-cuda-linux*--device cpu*");
    }

    [Fact]
    public void Cuda_index_beyond_the_devices_is_rejected()
    {
        var act = () => TorchDevice.ResolveName("cuda:2", cudaAvailable: true, cudaDeviceCount: 2);

        act.Should().Throw<InvalidOperationException>().WithMessage("*only 2 CUDA device(s)*");
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("")]
    public void Unknown_names_are_rejected(string name)
    {
        var act = () => TorchDevice.ResolveName(name, cudaAvailable: true, cudaDeviceCount: 1);

        act.Should().Throw<ArgumentException>().WithMessage($"Unknown device '{name}'*");
    }

    [Fact]
    public void Auto_on_this_machine_matches_torch()
    {
        TorchDevice.Resolve("auto").type.Should().Be(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU);
    }
}
