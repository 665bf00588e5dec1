using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Compute.Timed;

/// <summary>A small model's parameter image for the timed engine, whose bytes it never reads: only which blobs have arrived.</summary>
internal static class TimedModel
{
    public const int Layers = 4;
    public const int Vocab = 40;

    public static readonly LlamaConfig Config = new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = 16,
        IntermediateSize = 24,
        NumLayers = Layers,
        NumHeads = 2,
        NumKvHeads = 1,
        HeadDim = 8,
        VocabSize = Vocab,
        MaxPositionEmbeddings = 256,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        TieWordEmbeddings = false,
        AttentionBias = false,
        BosTokenId = 1,
        EosTokenId = 7,
    };

    /// <summary>An image with the embedding, the first <paramref name="layers"/> layers and (when <paramref name="head"/>) the head arrived.</summary>
    public static ParameterImage Image(int layers = Layers, bool head = true)
    {
        var image = ParameterImage.Allocate(ImageLayout.Build(Config, name => Shapes().TryGetValue(name, out var s) ? (DType.BF16, s) : null, "timed-test"));
        image.MarkLoaded(image.Layout.Embedding.Index);
        for (int l = 0; l < layers; l++) image.MarkLoaded(image.Layout.BlobOfLayer(l));
        if (head) image.MarkLoaded(image.Layout.Head.Index);
        return image;
    }

    private static Dictionary<string, IReadOnlyList<long>> Shapes()
    {
        var c = Config;
        long h = c.HiddenSize, q = c.QueryDim, kv = c.KvDim, i = c.IntermediateSize;
        var shapes = new Dictionary<string, IReadOnlyList<long>>
        {
            ["model.embed_tokens.weight"] = [c.VocabSize, h],
            ["model.norm.weight"] = [h],
            ["lm_head.weight"] = [c.VocabSize, h],
        };
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            shapes[p + "input_layernorm.weight"] = [h];
            shapes[p + "self_attn.q_proj.weight"] = [q, h];
            shapes[p + "self_attn.k_proj.weight"] = [kv, h];
            shapes[p + "self_attn.v_proj.weight"] = [kv, h];
            shapes[p + "self_attn.o_proj.weight"] = [h, q];
            shapes[p + "post_attention_layernorm.weight"] = [h];
            shapes[p + "mlp.gate_proj.weight"] = [i, h];
            shapes[p + "mlp.up_proj.weight"] = [i, h];
            shapes[p + "mlp.down_proj.weight"] = [h, i];
        }
        return shapes;
    }
}
