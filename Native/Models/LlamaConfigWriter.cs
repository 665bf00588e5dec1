using System.Text.Json;
using System.Text.Json.Nodes;

namespace BlitzScale.Native.Models;

/// <summary>Writes a <see cref="LlamaConfig"/> as a Hugging Face config.json that <see cref="LlamaConfig.Load"/> reads back.</summary>
public static class LlamaConfigWriter
{
    /// <summary>The config.json text.</summary>
    public static string ToJson(LlamaConfig c, string torchDtype)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(c.Architecture),
            ["model_type"] = c.Architecture switch
            {
                "MistralForCausalLM" => "mistral",
                "Qwen2ForCausalLM" => "qwen2",
                _ => "llama",
            },
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumLayers,
            ["num_attention_heads"] = c.NumHeads,
            ["num_key_value_heads"] = c.NumKvHeads,
            ["head_dim"] = c.HeadDim,
            ["vocab_size"] = c.VocabSize,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["rope_scaling"] = c.RopeScaling is { } s
                ? new JsonObject
                {
                    ["rope_type"] = "llama3",
                    ["factor"] = s.Factor,
                    ["low_freq_factor"] = s.LowFreqFactor,
                    ["high_freq_factor"] = s.HighFreqFactor,
                    ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
                }
                : null,
            ["hidden_act"] = "silu",
            ["attention_bias"] = c.AttentionBias,
            ["mlp_bias"] = false,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["torch_dtype"] = torchDtype,
            ["bos_token_id"] = c.BosTokenId ?? GenerationConfig.DefaultBos,
            ["eos_token_id"] = c.EosTokenId ?? GenerationConfig.DefaultEos,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
