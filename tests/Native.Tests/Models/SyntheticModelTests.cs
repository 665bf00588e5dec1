using BlitzScale.Tests.Shared;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tests.Safetensors;

namespace BlitzScale.Native.Tests.Models;

/// <summary>Synthetic model directories: reproducible bytes, and they load and generate for every supported variant.</summary>
public sealed class SyntheticModelTests : IDisposable
{
    private const ulong Seed = 42;
    private static readonly string[] Files = ["model.safetensors", "config.json", "generation_config.json", "tokenizer.model"];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LlamaConfig Tiny => SyntheticShapes.Get("tiny");

    // Tensor seeds depend only on the model seed and the tensor's name, so these differ from Tied only where
    // their config does: lm_head (untied), the q/k/v biases (Qwen2) and the head grouping (GQA).
    private static readonly LlamaConfig Tied = Tiny with { TieWordEmbeddings = true };
    private static readonly LlamaConfig Untied = Tiny with { TieWordEmbeddings = false };
    private static readonly LlamaConfig Qwen2 = Untied with { Architecture = "Qwen2ForCausalLM", AttentionBias = true };
    private static readonly LlamaConfig Gqa = Tied with { NumHeads = 8, NumKvHeads = 2, HeadDim = 16 };

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void The_same_arguments_write_byte_identical_files(DType dtype)
    {
        SyntheticModelWriter.Write(_dir.File("a"), Tiny, dtype, Seed);
        SyntheticModelWriter.Write(_dir.File("b"), Tiny, dtype, Seed);
        foreach (string file in Files)
            Assert.True(File.ReadAllBytes(Path.Combine(_dir.File("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir.File("b"), file))), file);
    }

    [Fact]
    public void A_different_seed_gives_different_weights_of_the_same_shapes()
    {
        SyntheticModelWriter.Write(_dir.File("a"), Tiny, DType.BF16, Seed);
        SyntheticModelWriter.Write(_dir.File("b"), Tiny, DType.BF16, Seed + 1);
        using var a = ModelDirectory.Open(_dir.File("a"));
        using var b = ModelDirectory.Open(_dir.File("b"));
        Assert.Equal(a.Config, b.Config);
        Assert.Equal(a.Layout.TotalBytes, b.Layout.TotalBytes);
        string q = TensorNames.Layer(0, "self_attn.q_proj.weight");
        Assert.False(a.Checkpoint.GetBytes(q).SequenceEqual(b.Checkpoint.GetBytes(q)));
        Assert.False(a.Checkpoint.GetBytes(TensorNames.Embedding).SequenceEqual(b.Checkpoint.GetBytes(TensorNames.Embedding)));
        // Norms are ones whatever the seed.
        Assert.True(a.Checkpoint.GetBytes(TensorNames.FinalNorm).SequenceEqual(b.Checkpoint.GetBytes(TensorNames.FinalNorm)));
    }

    [Fact]
    public void The_written_directory_opens_and_generates_greedily()
    {
        SyntheticModelWriter.Write(_dir.Path, Tiny, DType.BF16, Seed);
        using (var directory = ModelDirectory.Open(_dir.Path))
        {
            Assert.Equal(Tiny, directory.Config);
            Assert.Equal(new GenerationConfig(1, 2), directory.Generation);
            Assert.Equal(Tiny.NumLayers + 2, directory.Layout.Blobs.Count);
        }
        var first = Generate(_dir.Path);
        Assert.Equal(first, Generate(_dir.Path)); // greedy: the same every time
    }

    [Fact]
    public void Tied_untied_qwen2_and_gqa_variants_load_generate_and_use_their_own_parameters()
    {
        var logits = new Dictionary<string, float[]>();
        foreach (var (name, config) in new[] { ("tied", Tied), ("untied", Untied), ("qwen2", Qwen2), ("gqa", Gqa) })
        {
            string path = _dir.File(name);
            SyntheticModelWriter.Write(path, config, DType.F32, Seed);
            using var model = LocalModel.Open(path);
            Assert.Equal(config, model.Directory.Config);
            Assert.Equal(!config.TieWordEmbeddings, model.Image.Layout.Head.Contains(TensorNames.LmHead));
            Assert.Equal(config.AttentionBias, model.Image.Layout.Layer(0).Contains(TensorNames.Layer(0, "self_attn.q_proj.bias")));
            Generate(path);
            logits[name] = PromptLogits(model);
        }
        // Untied differs from tied only by lm_head; Qwen2 from untied only by the biases: each must change the logits.
        Assert.False(logits["tied"].AsSpan().SequenceEqual(logits["untied"]), "the untied head was not used");
        Assert.False(logits["untied"].AsSpan().SequenceEqual(logits["qwen2"]), "the q/k/v biases were not used");
        Assert.False(logits["tied"].AsSpan().SequenceEqual(logits["gqa"]), "the head grouping made no difference");
    }

    [Fact]
    public void Every_named_shape_resolves_to_a_consistent_config_that_round_trips_through_config_json()
    {
        Assert.Contains(SyntheticShapes.Default, SyntheticShapes.Names);
        foreach (string name in SyntheticShapes.Names)
        {
            var config = SyntheticShapes.Get(name);
            Assert.Same(config, SyntheticShapes.Get(name.ToUpperInvariant()));
            Assert.True(config.NumLayers > 0 && config.VocabSize > 0, name);
            Assert.Equal(config.HiddenSize, config.NumHeads * config.HeadDim);
            Assert.Equal(0, config.NumHeads % config.NumKvHeads);

            string directory = _dir.File(name);
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "config.json"), LlamaConfigWriter.ToJson(config, "bfloat16"));
            Assert.Equal(config, LlamaConfig.Load(directory));
        }
    }

    [Fact]
    public void The_narrow_llama3_shape_has_every_matrix_a_64th_of_llama3_8b_and_as_many_layers()
    {
        var real = SyntheticShapes.Get("llama3-8b");
        var narrow = SyntheticShapes.Get("llama3-8b-narrow");
        static long LayerMatrices(LlamaConfig c) =>
            2L * c.HiddenSize * c.NumHeads * c.HeadDim + 2L * c.HiddenSize * c.NumKvHeads * c.HeadDim + 3L * c.HiddenSize * c.IntermediateSize;
        Assert.Equal(real.NumLayers, narrow.NumLayers);
        Assert.Equal(real.HeadDim, narrow.HeadDim);
        Assert.Equal(real.NumHeads / real.NumKvHeads, narrow.NumHeads / narrow.NumKvHeads);
        Assert.Equal(LayerMatrices(real), 64 * LayerMatrices(narrow));
        Assert.Equal((long)real.VocabSize * real.HiddenSize, 64L * narrow.VocabSize * narrow.HiddenSize);
        Assert.Equal(real.TieWordEmbeddings, narrow.TieWordEmbeddings);
    }

    [Fact]
    public void An_unknown_shape_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => SyntheticShapes.Get("llama9-1t"));
        Assert.Contains("llama9-1t", error.Message);
        foreach (string name in SyntheticShapes.Names)
            Assert.Contains(name, error.Message);
    }

    private static int[] Generate(string path)
    {
        using var model = LocalModel.Open(path);
        var result = model.CreateGenerator().Generate([1, 300, 301, 302], new GenerationOptions(MaxTokens: 5, StopAtEos: false));
        Assert.Equal(5, result.OutputIds.Length);
        Assert.Equal(FinishReason.Length, result.Finish);
        Assert.All(result.OutputIds, id => Assert.InRange(id, 0, model.Directory.Config.VocabSize - 1));
        return result.OutputIds;
    }

    private static float[] PromptLogits(LocalModel model)
    {
        int[] prompt = [1, 300, 301, 302];
        var config = model.Engine.Config;
        var batch = Batch.Single([0], 0, prompt.Length, 0, config.NumLayers);
        var hidden = model.Engine.Embed(prompt);
        model.Engine.RunLayers(batch, hidden);
        var logits = model.Engine.Head(batch, hidden);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        return logits;
    }
}
