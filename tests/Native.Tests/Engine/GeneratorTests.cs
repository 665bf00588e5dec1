using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>Generator's argument checks, cancellation and EOS handling, on the tiny synthetic model.</summary>
public sealed class GeneratorTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private static readonly int[] Prompt = [1, 300, 301, 302];

    private LocalModel Model => models.Model(DType.F32);

    [Fact]
    public void A_request_beyond_the_context_names_the_context_and_both_numbers()
    {
        int context = Model.Engine.Config.MaxPositionEmbeddings;
        int maxTokens = context - Prompt.Length + 1;
        var error = Assert.Throws<ArgumentException>(() => new Generator(Model.Engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: maxTokens)));
        Assert.Contains($"context is {context} tokens", error.Message);
        Assert.Contains($"{context + 1} were requested", error.Message);
        Assert.Contains($"{Prompt.Length} in the prompt", error.Message);
        Assert.Contains($"{maxTokens} to generate", error.Message);
    }

    [Fact]
    public void Exactly_the_context_is_accepted()
    {
        int context = Model.Engine.Config.MaxPositionEmbeddings;
        var result = new Generator(Model.Engine, 2).Generate(Enumerable.Repeat(300, context - 2).ToArray(), new GenerationOptions(MaxTokens: 2, StopAtEos: false));
        Assert.Equal(2, result.OutputIds.Length);
    }

    [Fact]
    public void A_request_beyond_the_engines_kv_store_names_the_store_and_both_numbers()
    {
        // 2 blocks of 4: 8 positions, fewer than the model's context.
        using var engine = new CpuEngine(Model.Image, new KvStoreShape(2, 4));
        Assert.True(Model.Engine.Config.MaxPositionEmbeddings > 9);
        var error = Assert.Throws<ArgumentException>(() => new Generator(engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: 5)));
        Assert.Contains("KV store holds 8 positions (2 blocks of 4)", error.Message);
        Assert.Contains("9 were requested", error.Message);
        var fits = new Generator(engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: 4, StopAtEos: false));
        Assert.Equal(new Generator(Model.Engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: 4, StopAtEos: false)).OutputIds, fits.OutputIds);
    }

    [Fact]
    public void An_empty_prompt_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new Generator(Model.Engine, 2).Generate([], new GenerationOptions(MaxTokens: 3)));
        Assert.Equal("promptIds", error.ParamName);
    }

    [Fact]
    public void Negative_max_tokens_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Generator(Model.Engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: -1)));
    }

    [Fact]
    public void An_already_cancelled_token_stops_before_any_compute()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        int seen = 0;
        Assert.Throws<OperationCanceledException>(() =>
            new Generator(Model.Engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: 5), _ => seen++, cancellation.Token));
        Assert.Equal(0, seen);
    }

    [Fact]
    public void An_engine_missing_layers_is_refused()
    {
        using var image = models.PartialImage(DType.F32, [0, 1]);
        using var engine = new CpuEngine(image, new KvStoreShape(4, 16));
        var error = Assert.Throws<InvalidOperationException>(() => new Generator(engine, 2).Generate(Prompt, new GenerationOptions(MaxTokens: 1)));
        Assert.Contains($"only 1 of {Model.Engine.Config.NumLayers} layers", error.Message);
    }

    [Fact]
    public void Generation_stops_at_eos_which_is_not_part_of_the_output()
    {
        // Random weights repeat themselves a lot: take the first prompt whose third greedy token is new.
        var generator = new Generator(Model.Engine, eosId: -1);
        var free = Enumerable.Range(0, 40)
            .Select(i => generator.Generate([1, 300 + i, 7 * i % 512], new GenerationOptions(MaxTokens: 6, StopAtEos: false)))
            .FirstOrDefault(r => Array.IndexOf(r.OutputIds, r.OutputIds[2]) == 2);
        Assert.True(free is not null, "no prompt gave a third greedy token that differs from the first two");
        Assert.Equal(FinishReason.Length, free.Finish);
        Assert.Equal(6, free.OutputIds.Length);

        int eos = free.OutputIds[2];
        var seen = new List<int>();
        var stopped = new Generator(Model.Engine, eos).Generate(free.PromptIds, new GenerationOptions(MaxTokens: 6), seen.Add);
        Assert.Equal(FinishReason.Eos, stopped.Finish);
        Assert.Equal(free.OutputIds[..2], stopped.OutputIds);
        Assert.Equal(stopped.OutputIds, seen);
        Assert.Equal(free.PromptIds, stopped.PromptIds);

        // Without StopAtEos it is just another token.
        var through = new Generator(Model.Engine, eos).Generate(free.PromptIds, new GenerationOptions(MaxTokens: 6, StopAtEos: false));
        Assert.Equal(FinishReason.Length, through.Finish);
        Assert.Equal(free.OutputIds, through.OutputIds);
    }
}
