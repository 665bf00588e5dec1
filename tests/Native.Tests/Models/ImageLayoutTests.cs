using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Models;

/// <summary>The parameter image layout: blobs, alignment, fused groups, validation and bytes per token.</summary>
public sealed class ImageLayoutTests
{
    private const string Source = "/models/test";

    private static readonly LlamaConfig Small = new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = 64,
        IntermediateSize = 100,
        NumLayers = 3,
        NumHeads = 4,
        NumKvHeads = 2,
        HeadDim = 16,
        VocabSize = 50,
        MaxPositionEmbeddings = 128,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        TieWordEmbeddings = true,
        AttentionBias = false,
    };

    private static readonly LlamaConfig BiasedUntied = Small with { Architecture = "Qwen2ForCausalLM", AttentionBias = true, TieWordEmbeddings = false };

    public static TheoryData<string, DType> Configs => new()
    {
        { "tied", DType.F32 },
        { "tied", DType.BF16 },
        { "biased-untied", DType.F32 },
        { "biased-untied", DType.BF16 },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Blobs_are_page_aligned_contiguous_and_hold_every_tensor_once(string name, DType dtype)
    {
        var config = ConfigNamed(name);
        var expected = ExpectedShapes(config);
        var layout = ImageLayout.Build(config, Lookup(expected, dtype), Source);

        Assert.Equal(config.NumLayers + 2, layout.Blobs.Count);
        Assert.Equal(BlobKind.Embedding, layout.Embedding.Kind);
        Assert.Equal([TensorNames.Embedding], layout.Embedding.Tensors.Select(t => t.Name));
        Assert.Equal(BlobKind.Head, layout.Head.Kind);
        Assert.True(layout.Head.Contains(TensorNames.FinalNorm));
        Assert.Equal(!config.TieWordEmbeddings, layout.Head.Contains(TensorNames.LmHead));
        for (int l = 0; l < config.NumLayers; l++)
        {
            Assert.Equal(l + 1, layout.BlobOfLayer(l));
            Assert.Equal(BlobKind.Layer, layout.Layer(l).Kind);
            Assert.Equal(l, layout.Layer(l).Layer);
            Assert.All(layout.Layer(l).Tensors, t => Assert.StartsWith($"model.layers.{l}.", t.Name));
        }

        Assert.Equal(0, layout.Blobs[0].Offset);
        for (int b = 0; b < layout.Blobs.Count; b++)
        {
            var blob = layout.Blobs[b];
            Assert.Equal(b, blob.Index);
            Assert.Equal(0, blob.Offset % ImageLayout.BlobAlignment);
            Assert.Equal(0, blob.ByteLength % ImageLayout.BlobAlignment);
            if (b + 1 < layout.Blobs.Count) Assert.Equal(blob.Offset + blob.ByteLength, layout.Blobs[b + 1].Offset);
            long end = 0;
            foreach (var t in blob.Tensors.OrderBy(t => t.OffsetInBlob))
            {
                Assert.True(t.OffsetInBlob >= end, $"{t.Name} at {t.OffsetInBlob} overlaps the tensor before, which ends at {end}");
                end = t.OffsetInBlob + t.ByteLength;
            }
            Assert.True(end <= blob.ByteLength, $"blob {b}: tensors end at {end}, past its {blob.ByteLength} bytes");
        }
        Assert.Equal(layout.Head.Offset + layout.Head.ByteLength, layout.TotalBytes);

        var placed = layout.Blobs.SelectMany(b => b.Tensors).ToList();
        Assert.Equal(expected.Keys.Order(), placed.Select(t => t.Name).Order());
        foreach (var t in placed)
        {
            Assert.Equal(expected[t.Name], t.Shape);
            Assert.Equal(dtype, t.DType);
            Assert.Equal(expected[t.Name].Aggregate(1L, (a, d) => a * d) * dtype.Size(), t.ByteLength);
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Fused_groups_are_packed_back_to_back_and_each_group_is_256_aligned(string name, DType dtype)
    {
        var config = ConfigNamed(name);
        var layout = ImageLayout.Build(config, Lookup(ExpectedShapes(config), dtype), Source);
        for (int l = 0; l < config.NumLayers; l++)
        {
            var blob = layout.Layer(l);
            ImageTensor T(string suffix) => blob[TensorNames.Layer(l, suffix)];
            AssertAdjacent(T("self_attn.q_proj.weight"), T("self_attn.k_proj.weight"), T("self_attn.v_proj.weight"));
            AssertAdjacent(T("mlp.gate_proj.weight"), T("mlp.up_proj.weight"));
            List<string> groupStarts = ["input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.o_proj.weight",
                "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight"];
            if (config.AttentionBias)
            {
                AssertAdjacent(T("self_attn.q_proj.bias"), T("self_attn.k_proj.bias"), T("self_attn.v_proj.bias"));
                groupStarts.Add("self_attn.q_proj.bias");
            }
            foreach (string suffix in groupStarts)
                Assert.True(T(suffix).OffsetInBlob % ImageLayout.TensorAlignment == 0, $"layer {l} {suffix} at {T(suffix).OffsetInBlob}");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Bytes_read_per_token_are_the_layers_the_final_norm_and_the_head(string name, DType dtype)
    {
        var config = ConfigNamed(name);
        var layout = ImageLayout.Build(config, Lookup(ExpectedShapes(config), dtype), Source);
        long h = config.HiddenSize, q = config.QueryDim, kv = config.KvDim, i = config.IntermediateSize, v = config.VocabSize;
        long perLayer = h + (q + 2 * kv) * h + (config.AttentionBias ? q + 2 * kv : 0) + h * q + h + 2 * i * h + h * i;
        long expected = (config.NumLayers * perLayer + h + v * h) * dtype.Size(); // the head is lm_head or the tied embedding
        Assert.Equal(expected, layout.BytesReadPerToken());
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        string name = TensorNames.Layer(1, "mlp.up_proj.weight");
        var shapes = ExpectedShapes(Small);
        shapes.Remove(name);
        var error = Assert.Throws<ModelLayoutException>(() => ImageLayout.Build(Small, Lookup(shapes, DType.F32), Source));
        Assert.Equal(name, error.Tensor);
        Assert.Contains(name, error.Message);
        Assert.Contains("missing", error.Message);
        Assert.Contains(Source, error.Message);
    }

    [Fact]
    public void An_untied_config_needs_lm_head()
    {
        var shapes = ExpectedShapes(BiasedUntied);
        shapes.Remove(TensorNames.LmHead);
        var error = Assert.Throws<ModelLayoutException>(() => ImageLayout.Build(BiasedUntied, Lookup(shapes, DType.F32), Source));
        Assert.Equal(TensorNames.LmHead, error.Tensor);
    }

    [Fact]
    public void A_wrong_shape_gives_both_shapes()
    {
        string name = TensorNames.Layer(0, "self_attn.k_proj.weight");
        var shapes = ExpectedShapes(Small);
        shapes[name] = [32, 63];
        var error = Assert.Throws<ModelLayoutException>(() => ImageLayout.Build(Small, Lookup(shapes, DType.F32), Source));
        Assert.Contains(name, error.Message);
        Assert.Contains("[32, 64]", error.Message);
        Assert.Contains("[32, 63]", error.Message);
    }

    [Fact]
    public void A_fused_group_with_mixed_dtypes_is_rejected()
    {
        string q = TensorNames.Layer(2, "self_attn.q_proj.weight"), k = TensorNames.Layer(2, "self_attn.k_proj.weight");
        var shapes = ExpectedShapes(Small);
        Func<string, (DType, IReadOnlyList<long>)?> lookup = n =>
            shapes.TryGetValue(n, out var s) ? (n == q ? DType.BF16 : DType.F32, s) : null;
        var error = Assert.Throws<ModelLayoutException>(() => ImageLayout.Build(Small, lookup, Source));
        Assert.Equal(k, error.Tensor);
        Assert.Contains("dtype", error.Message);
        Assert.Contains("F32", error.Message);
        Assert.Contains("BF16", error.Message);
        Assert.Contains(q, error.Message);
    }

    private static void AssertAdjacent(params ImageTensor[] group)
    {
        for (int i = 1; i < group.Length; i++)
        {
            Assert.True(group[i].OffsetInBlob == group[i - 1].OffsetInBlob + group[i - 1].ByteLength,
                $"{group[i].Name} at {group[i].OffsetInBlob} does not follow {group[i - 1].Name} ending at {group[i - 1].OffsetInBlob + group[i - 1].ByteLength}");
        }
    }

    private static LlamaConfig ConfigNamed(string name) => name == "tied" ? Small : BiasedUntied;

    private static Func<string, (DType, IReadOnlyList<long>)?> Lookup(Dictionary<string, long[]> shapes, DType dtype) =>
        name => shapes.TryGetValue(name, out var shape) ? (dtype, shape) : null;

    /// <summary>The Hugging Face Llama tensors, written out independently of the code under test.</summary>
    private static Dictionary<string, long[]> ExpectedShapes(LlamaConfig c)
    {
        long h = c.HiddenSize, q = c.QueryDim, kv = c.KvDim, i = c.IntermediateSize;
        var shapes = new Dictionary<string, long[]>
        {
            ["model.embed_tokens.weight"] = [c.VocabSize, h],
            ["model.norm.weight"] = [h],
        };
        if (!c.TieWordEmbeddings) shapes["lm_head.weight"] = [c.VocabSize, h];
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            shapes[p + "input_layernorm.weight"] = [h];
            shapes[p + "self_attn.q_proj.weight"] = [q, h];
            shapes[p + "self_attn.k_proj.weight"] = [kv, h];
            shapes[p + "self_attn.v_proj.weight"] = [kv, h];
            if (c.AttentionBias)
            {
                shapes[p + "self_attn.q_proj.bias"] = [q];
                shapes[p + "self_attn.k_proj.bias"] = [kv];
                shapes[p + "self_attn.v_proj.bias"] = [kv];
            }
            shapes[p + "self_attn.o_proj.weight"] = [h, q];
            shapes[p + "post_attention_layernorm.weight"] = [h];
            shapes[p + "mlp.gate_proj.weight"] = [i, h];
            shapes[p + "mlp.up_proj.weight"] = [i, h];
            shapes[p + "mlp.down_proj.weight"] = [h, i];
        }
        return shapes;
    }
}
