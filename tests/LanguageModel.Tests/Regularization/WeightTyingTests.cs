using LanguageModel.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Regularization;

[Collection(TorchCollection.Name)]
public class WeightTyingTests
{
    private static readonly PtbConfig Tied = TinyModels.Config with { TieWeights = true };

    [Fact]
    public void The_shared_matrix_is_one_parameter_listed_once()
    {
        using var model = TinyModels.Model(config: Tied);
        var parameters = model.parameters().ToList();
        var names = model.named_parameters().Select(p => p.name).ToList();

        names.Should().Contain("embedding.weight").And.Contain("softmax.bias").And.NotContain("softmax.weight");
        parameters.Select(p => p.Handle).Should().OnlyHaveUniqueItems();
        names.Should().Equal(Checkpoint.WeightNames(Tied));
        using var untied = TinyModels.Model(config: TinyModels.Config);
        long vocabularyTimesHidden = TinyModels.Vocabulary.Count * Tied.HiddenSize;
        parameters.Sum(p => p.numel()).Should().Be(untied.parameters().Sum(p => p.numel()) - vocabularyTimesHidden);
    }

    [Fact]
    public void The_head_multiplies_by_the_embedding_matrix()
    {
        using var model = TinyModels.Model(config: Tied);
        model.eval();
        using var ids = tensor(new long[] { 3, 4, 5 }, [1, 3]);
        using var state = model.ZeroState(1);
        var (logits, next) = model.call(ids, state);
        next.Dispose();

        // Run the same input untied, with the head's matrix set to a copy of the embedding: same logits.
        using var untied = TinyModels.Model(config: TinyModels.Config);
        using (no_grad())
        {
            var tiedWeights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in untied.named_parameters())
                parameter.copy_(name == "softmax.weight" ? tiedWeights["embedding.weight"] : tiedWeights[name]);
        }
        untied.eval();
        var (expected, expectedState) = untied.call(ids, state);
        expectedState.Dispose();

        logits.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Sgd_and_clipping_see_the_shared_matrix_once()
    {
        using var model = TinyModels.Model(config: Tied);
        using var untied = TinyModels.Model(config: TinyModels.Config);
        using (no_grad())
        {
            var tiedWeights = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in untied.named_parameters())
                parameter.copy_(name == "softmax.weight" ? tiedWeights["embedding.weight"] : tiedWeights[name]);
        }
        using var ids = tensor(new long[] { 3, 4, 5, 6, 7, 8, 0, 2 }, [2, 4]);
        using var targets = tensor(new long[] { 4, 5, 6, 7, 8, 0, 2, 3 }, [2, 4]);

        foreach (var m in new[] { model, untied })
        {
            using var state = m.ZeroState(2);
            var (logits, next) = m.call(ids, state);
            next.Dispose();
            SequenceLoss.Compute(logits, targets).sum().backward();
        }
        var tiedGrads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        var untiedGrads = untied.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);

        // The shared matrix's gradient is the sum of what the embedding and the head would each get.
        tiedGrads["embedding.weight"].allclose(untiedGrads["embedding.weight"] + untiedGrads["softmax.weight"], rtol: 1e-5, atol: 1e-6).Should().BeTrue();

        // Clipping measures each parameter once: the global norm over the distinct tensors.
        double expectedNorm = Math.Sqrt(tiedGrads.Values.Sum(g => g.pow(2).sum().item<float>()));
        double norm = nn.utils.clip_grad_norm_(model.parameters(), 1e9);
        norm.Should().BeApproximately(expectedNorm, expectedNorm * 1e-5);

        // One SGD step moves the matrix once, by lr times its gradient.
        using var before = model.named_parameters().First(p => p.name == "embedding.weight").parameter.detach().clone();
        using var sgd = optim.SGD(model.parameters(), 0.5);
        sgd.step();
        var after = model.named_parameters().First(p => p.name == "embedding.weight").parameter;
        after.allclose(before - 0.5 * tiedGrads["embedding.weight"], rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void A_tied_model_with_a_narrower_embedding_gives_its_last_layer_the_embedding_width()
    {
        var config = TinyModels.Config with { TieWeights = true, EmbeddingSize = 5, NumLayers = 3 };
        using var model = TinyModels.Model(config: config);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        shapes["embedding.weight"].Should().Equal(TinyModels.Vocabulary.Count, 5);
        shapes["lstm.0.weight_ih_l0"].Should().Equal(4 * 8, 5);
        shapes["lstm.1.weight_hh_l0"].Should().Equal(4 * 8, 8);
        shapes["lstm.2.weight_ih_l0"].Should().Equal(4 * 5, 8);
        shapes["lstm.2.weight_hh_l0"].Should().Equal(4 * 5, 5);
        model.named_parameters().Select(p => p.name).Should().Equal(Checkpoint.WeightNames(config));
    }
}
