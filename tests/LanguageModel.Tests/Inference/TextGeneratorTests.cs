using LanguageModel.Tests.Support;
using static TorchSharp.torch;

namespace LanguageModel.Tests.Inference;

[Collection(TorchCollection.Name)]
public class TextGeneratorTests
{
    private static List<string> Generate(PtbLanguageModel model, string prompt, GenerationOptions options) =>
        new TextGenerator(model, TinyModels.Vocabulary).Generate(prompt, options).ToList();

    [Fact]
    public void The_same_seed_gives_the_same_text()
    {
        using var model = TinyModels.Model(seed: 3);
        var options = new GenerationOptions { MaxWords = 30, Seed = 17, Temperature = 1.5 };

        var first = Generate(model, "the cat", options);
        var second = Generate(model, "the cat", options);
        var other = Generate(model, "the cat", options with { Seed = 18 });

        first.Should().HaveCount(30).And.Equal(second);
        other.Should().NotEqual(first);
    }

    [Fact]
    public void Greedy_follows_the_most_likely_word_at_every_step()
    {
        using var model = TinyModels.Model(seed: 5);

        var words = Generate(model, "a dog", new GenerationOptions { MaxWords = 6, Temperature = 0 });

        // Rebuild the greedy chain by hand, feeding the whole history each time from a zero state.
        var ids = new List<long> { 2, 7, 8 };
        model.eval();
        for (int i = 0; i < 6; i++)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var (logits, _) = model.call(tensor(ids.ToArray(), [1, ids.Count]), model.ZeroState(1));
            ids.Add(logits[0, -1].argmax().item<long>());
        }
        words.Should().Equal(ids.Skip(3).Select(id => TinyModels.Vocabulary.GetWord((int)id)));
    }

    [Fact]
    public void Top_k_of_one_and_a_tiny_top_p_are_greedy()
    {
        using var model = TinyModels.Model(seed: 5);
        var greedy = Generate(model, "the", new GenerationOptions { MaxWords = 12, Temperature = 0 });

        Generate(model, "the", new GenerationOptions { MaxWords = 12, TopK = 1, Seed = 1, Temperature = 3 }).Should().Equal(greedy);
        Generate(model, "the", new GenerationOptions { MaxWords = 12, TopP = 1e-9, Seed = 2, Temperature = 3 }).Should().Equal(greedy);
    }

    [Fact]
    public void Stops_at_the_end_of_the_sentence_when_asked()
    {
        // Make <eos> overwhelmingly likely by biasing the softmax.
        using var model = TinyModels.Model();
        using (no_grad()) model.named_parameters().Single(p => p.name == "softmax.bias").parameter[2].fill_(50);

        var stopped = Generate(model, "the cat", new GenerationOptions { MaxWords = 10, StopAtEndOfSentence = true, Seed = 1 });
        var continued = Generate(model, "the cat", new GenerationOptions { MaxWords = 10, Seed = 1 });

        stopped.Should().Equal("<eos>");
        continued.Should().HaveCount(10);
    }

    [Fact]
    public void Leaves_the_model_in_training_mode_if_it_was()
    {
        using var model = TinyModels.Model();
        model.train();

        Generate(model, "", new GenerationOptions { MaxWords = 3, Seed = 1 });

        model.training.Should().BeTrue();
    }

    [Fact]
    public void Options_are_checked_when_called_before_any_word()
    {
        using var model = TinyModels.Model();
        var generator = new TextGenerator(model, TinyModels.Vocabulary);

        generator.Invoking(g => g.Generate("the", new GenerationOptions { Temperature = -1 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Temperature");
        generator.Invoking(g => g.Generate("the", new GenerationOptions { Temperature = double.NaN })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Temperature");
        generator.Invoking(g => g.Generate("the", new GenerationOptions { TopK = 0 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("TopK");
        generator.Invoking(g => g.Generate("the", new GenerationOptions { TopP = 0 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("TopP");
        generator.Invoking(g => g.Generate("the", new GenerationOptions { TopP = 1.01 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("TopP");
        generator.Invoking(g => g.Generate("the", new GenerationOptions { MaxWords = 0 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxWords");
    }
}

public class SamplingTests
{
    private static readonly float[] Logits = [MathF.Log(0.1f), MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.1f)];

    private static double[] Frequencies(GenerationOptions options, int draws = 40_000)
    {
        var random = new Random(1);
        var counts = new double[Logits.Length];
        for (int i = 0; i < draws; i++) counts[Sampling.Pick(Logits, options, random)]++;
        return counts.Select(c => c / draws).ToArray();
    }

    [Fact]
    public void Plain_sampling_follows_the_softmax()
    {
        Frequencies(new GenerationOptions()).Should().Equal([0.1, 0.5, 0.3, 0.1], (a, e) => Math.Abs(a - e) < 0.01);
    }

    [Fact]
    public void Top_k_renormalises_over_the_k_most_likely()
    {
        Frequencies(new GenerationOptions { TopK = 2 }).Should().Equal([0, 0.625, 0.375, 0], (a, e) => Math.Abs(a - e) < 0.01);
    }

    [Fact]
    public void Top_p_keeps_the_smallest_prefix_reaching_p()
    {
        // 0.5 < 0.7 <= 0.5 + 0.3: the two most likely words.
        Frequencies(new GenerationOptions { TopP = 0.7 }).Should().Equal([0, 0.625, 0.375, 0], (a, e) => Math.Abs(a - e) < 0.01);
        Frequencies(new GenerationOptions { TopP = 0.5 }).Should().Equal([0, 1, 0, 0]);
    }

    [Fact]
    public void Temperature_sharpens_and_flattens()
    {
        // p^(1/T) renormalised: T = 0.5 squares the probabilities.
        double z = 0.01 + 0.25 + 0.09 + 0.01;
        Frequencies(new GenerationOptions { Temperature = 0.5 }).Should().Equal([0.01 / z, 0.25 / z, 0.09 / z, 0.01 / z], (a, e) => Math.Abs(a - e) < 0.01);
        Frequencies(new GenerationOptions { Temperature = 1000 }).Should().OnlyContain(f => Math.Abs(f - 0.25) < 0.01);
    }

    [Fact]
    public void Zero_temperature_is_argmax()
    {
        Frequencies(new GenerationOptions { Temperature = 0 }, draws: 100).Should().Equal([0, 1, 0, 0]);
    }
}
