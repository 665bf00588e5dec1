using System.Text.Json;

namespace BlitzScale.Native.Models;

/// <summary>Parses and validates a Hugging Face config.json into a <see cref="LlamaConfig"/>.</summary>
internal static class LlamaConfigReader
{
    // Architectures whose decoder layer is the Llama layer (RMSNorm, RoPE, GQA, SwiGLU).
    private static readonly Dictionary<string, bool> SupportedArchitectures = new(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = false,
        ["MistralForCausalLM"] = false,
        ["Qwen2ForCausalLM"] = true, // q/k/v bias
    };

    public static LlamaConfig Read(string path)
    {
        if (!File.Exists(path))
            throw new ModelConfigException(path, "config.json not found: a Hugging Face model directory needs one");
        using var doc = ReadObject(path);
        return Parse(path, doc.RootElement);
    }

    /// <summary>Parses a JSON file whose root must be an object, with errors that name the file.</summary>
    internal static JsonDocument ReadObject(string path)
    {
        var doc = ModelJson.Parse(File.ReadAllBytes(path), why => new ModelConfigException(path, why));
        var kind = doc.RootElement.ValueKind;
        if (kind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new ModelConfigException(path, $"expected a JSON object, found {kind}");
        }
        return doc;
    }

    private static LlamaConfig Parse(string path, JsonElement root)
    {
        var fields = new FieldReader(path, root);
        string architecture = ReadArchitecture(fields);
        bool defaultBias = SupportedArchitectures[architecture];

        int hidden = fields.PositiveInt("hidden_size");
        int heads = fields.PositiveInt("num_attention_heads");
        int kvHeads = fields.OptionalPositiveInt("num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw fields.Error("num_key_value_heads", $"{kvHeads} must divide num_attention_heads {heads}");
        int headDim = fields.OptionalPositiveInt("head_dim") ?? DefaultHeadDim(fields, hidden, heads);
        if (headDim % 2 != 0)
            throw fields.Error("head_dim", $"must be even for rotary embeddings, found {headDim}");
        string act = fields.OptionalString("hidden_act") ?? "silu";
        if (act != "silu")
            throw fields.Error("hidden_act", $"expected \"silu\", found \"{act}\"");
        if (fields.OptionalBool("mlp_bias") == true)
            throw fields.Error("mlp_bias", "MLP biases are not supported");

        return new LlamaConfig
        {
            Architecture = architecture,
            HiddenSize = hidden,
            IntermediateSize = fields.PositiveInt("intermediate_size"),
            NumLayers = fields.PositiveInt("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = fields.PositiveInt("vocab_size"),
            MaxPositionEmbeddings = fields.OptionalPositiveInt("max_position_embeddings") ?? 2048,
            RmsNormEps = fields.PositiveDouble("rms_norm_eps"),
            RopeTheta = fields.OptionalPositiveDouble("rope_theta") ?? 10000.0,
            RopeScaling = ReadRopeScaling(fields),
            TieWordEmbeddings = fields.OptionalBool("tie_word_embeddings") ?? false,
            AttentionBias = fields.OptionalBool("attention_bias") ?? defaultBias,
            BosTokenId = fields.OptionalTokenId("bos_token_id"),
            EosTokenId = fields.OptionalTokenId("eos_token_id"),
        };
    }

    private static string ReadArchitecture(FieldReader fields)
    {
        if (!fields.Root.TryGetProperty("architectures", out var archs) || archs.ValueKind != JsonValueKind.Array
            || archs.GetArrayLength() == 0 || archs[0].ValueKind != JsonValueKind.String)
        {
            throw fields.Error("architectures", "missing: expected a list such as [\"LlamaForCausalLM\"]");
        }
        string name = archs[0].GetString()!;
        if (!SupportedArchitectures.ContainsKey(name))
        {
            throw fields.Error("architectures",
                $"unsupported architecture \"{name}\": expected one of {string.Join(", ", SupportedArchitectures.Keys)}");
        }
        return name;
    }

    private static int DefaultHeadDim(FieldReader fields, int hidden, int heads)
    {
        if (hidden % heads != 0)
            throw fields.Error("head_dim", $"missing, and hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        return hidden / heads;
    }

    private static RopeScaling? ReadRopeScaling(FieldReader fields)
    {
        if (!fields.Root.TryGetProperty("rope_scaling", out var scaling) || scaling.ValueKind == JsonValueKind.Null)
            return null;
        if (scaling.ValueKind != JsonValueKind.Object)
            throw fields.Error("rope_scaling", $"expected an object or null, found {scaling.ValueKind}");
        var inner = new FieldReader(fields.Path, scaling, "rope_scaling.");
        string type = inner.OptionalString("rope_type") ?? inner.OptionalString("type") ?? "";
        if (type != "llama3")
            throw inner.Error("rope_type", $"unsupported RoPE scaling \"{type}\": only \"llama3\" is supported");
        return new RopeScaling(
            inner.PositiveDouble("factor"),
            inner.PositiveDouble("low_freq_factor"),
            inner.PositiveDouble("high_freq_factor"),
            inner.PositiveInt("original_max_position_embeddings"));
    }
}
