using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary><c>blitz model synth | inspect | goldens</c> end to end.</summary>
public sealed class ModelCommandTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    [Fact]
    public async Task SynthWritesAModelThatInspectDescribes()
    {
        string dir = Path.Combine(fixture.NewDirectory(), "tiny-bf16");
        var synth = await BlitzProcess.Run(fixture.Cache, "model", "synth", "--out", dir, "--shape", "tiny", "--dtype", "bf16", "--seed", "7");
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));

        var inspect = await BlitzProcess.Run(fixture.Cache, "model", "inspect", dir);
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Assert.Contains("LlamaForCausalLM", inspect.Stdout);
        Assert.Contains("model.layers.3.self_attn.q_proj.weight", inspect.Stdout);
        Assert.Contains("bf16", inspect.Stdout);
        Assert.Contains("parameter image: 6 blobs", inspect.Stdout); // embedding, 4 layers, head
        Assert.Contains("bytes per layer blob", inspect.Stdout);
    }

    [Fact]
    public async Task SynthFromAConfigFileUsesItsShape()
    {
        string dir = fixture.NewDirectory();
        string config = Path.Combine(dir, "config.json");
        await File.WriteAllTextAsync(config, """
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 400, "rms_norm_eps": 1e-6, "tie_word_embeddings": false}
            """);
        var synth = await BlitzProcess.Run(fixture.Cache, "model", "synth", "--out", Path.Combine(dir, "qwen"), "--config", config, "--dtype", "f32");
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        var inspect = await BlitzProcess.Run(fixture.Cache, "model", "inspect", Path.Combine(dir, "qwen"));
        Assert.Contains("model.layers.1.self_attn.q_proj.bias", inspect.Stdout);
        Assert.Contains("lm_head.weight", inspect.Stdout);
        var generate = await BlitzProcess.Run(fixture.Cache, "generate", "--model", Path.Combine(dir, "qwen"), "--max-tokens", "3", "--json");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
    }

    [Fact]
    public async Task SynthDoesNotOverwriteAModelUnlessForced()
    {
        string dir = fixture.NewDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), "{\"mine\": true}");

        var refused = await BlitzProcess.Run(fixture.Cache, "model", "synth", "--out", dir, "--shape", "tiny");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"blitz: error: --out {dir}: already holds config.json; give --force to overwrite them", refused.Stderr.Trim());
        Assert.Equal("{\"mine\": true}", await File.ReadAllTextAsync(Path.Combine(dir, "config.json")));

        var forced = await BlitzProcess.Run(fixture.Cache, "model", "synth", "--out", dir, "--shape", "tiny", "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Contains("\"hidden_size\"", await File.ReadAllTextAsync(Path.Combine(dir, "config.json")));
    }

    [Fact]
    public async Task UnknownShapeListsTheKnownOnes()
    {
        var result = await BlitzProcess.Run(fixture.Cache, "model", "synth", "--out", fixture.NewDirectory(), "--shape", "gpt5");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown model shape \"gpt5\"", result.Stderr);
        Assert.Contains("stories110m", result.Stderr);
    }

    [Fact]
    public async Task InspectOfABrokenModelNamesTheFile()
    {
        string dir = fixture.NewDirectory();
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), """{"architectures": ["LlamaForCausalLM"], "hidden_size": 64}""");
        var result = await BlitzProcess.Run(fixture.Cache, "model", "inspect", dir);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("config.json", result.Stderr);
        Assert.Contains("field \"num_attention_heads\" is missing", result.Stderr);
    }

    [SkippableFact]
    public async Task GoldensPassOnStories260K()
    {
        string? model = RepositoryPaths.Stories260K;
        Skip.If(model is null, RepositoryPaths.Stories260KMissing);
        var result = await BlitzProcess.Run(fixture.Cache, "model", "goldens", model);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Equal(3, result.Stdout.Split('\n').Count(l => l.StartsWith("PASS", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Goldens_without_a_directory_replay_the_shipped_default_model()
    {
        var result = await BlitzProcess.RunIn(fixture.NewDirectory(), fixture.Cache, "model", "goldens");
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Equal(3, result.Stdout.Split('\n').Count(l => l.StartsWith("PASS", StringComparison.Ordinal)));
        Assert.Contains("PASS: \"Once upon a time\"", result.Stdout);
    }
}
