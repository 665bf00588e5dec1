namespace BlitzScale.Native.Models.Image;

/// <summary>Hugging Face tensor names of the Llama family.</summary>
public static class TensorNames
{
    /// <summary>Token embedding.</summary>
    public const string Embedding = "model.embed_tokens.weight";
    /// <summary>Final RMSNorm.</summary>
    public const string FinalNorm = "model.norm.weight";
    /// <summary>Output head (absent when tied).</summary>
    public const string LmHead = "lm_head.weight";

    /// <summary>The name of a tensor of decoder layer <paramref name="layer"/>, e.g. <c>self_attn.q_proj.weight</c>.</summary>
    public static string Layer(int layer, string suffix) => $"model.layers.{layer}.{suffix}";

    internal const string InputNorm = "input_layernorm.weight";
    internal const string Q = "self_attn.q_proj.weight";
    internal const string K = "self_attn.k_proj.weight";
    internal const string V = "self_attn.v_proj.weight";
    internal const string QBias = "self_attn.q_proj.bias";
    internal const string KBias = "self_attn.k_proj.bias";
    internal const string VBias = "self_attn.v_proj.bias";
    internal const string O = "self_attn.o_proj.weight";
    internal const string PostNorm = "post_attention_layernorm.weight";
    internal const string Gate = "mlp.gate_proj.weight";
    internal const string Up = "mlp.up_proj.weight";
    internal const string Down = "mlp.down_proj.weight";
}
