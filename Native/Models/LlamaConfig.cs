namespace BlitzScale.Native.Models;

/// <summary>
/// The shape of a Llama-family decoder (Llama, Mistral, Qwen2): everything the engine and the
/// parameter image need, read from a Hugging Face <c>config.json</c>.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The architecture named in config.json, e.g. LlamaForCausalLM.</summary>
    public required string Architecture { get; init; }
    /// <summary>Model (residual stream) width.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Width of the SwiGLU MLP.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Number of decoder layers.</summary>
    public required int NumLayers { get; init; }
    /// <summary>Query heads.</summary>
    public required int NumHeads { get; init; }
    /// <summary>Key/value heads (grouped-query attention when fewer than query heads).</summary>
    public required int NumKvHeads { get; init; }
    /// <summary>Width of one head.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Vocabulary size.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Longest context the model was trained for.</summary>
    public required int MaxPositionEmbeddings { get; init; }
    /// <summary>RMSNorm epsilon.</summary>
    public required double RmsNormEps { get; init; }
    /// <summary>RoPE base.</summary>
    public required double RopeTheta { get; init; }
    /// <summary>Llama 3 RoPE scaling, or null.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Whether the output head reuses the embedding matrix.</summary>
    public required bool TieWordEmbeddings { get; init; }
    /// <summary>Whether q/k/v projections carry a bias (Qwen2).</summary>
    public required bool AttentionBias { get; init; }
    /// <summary>BOS token id from config.json, if given.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>EOS token id from config.json, if given.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Query width: heads × head_dim.</summary>
    public int QueryDim => NumHeads * HeadDim;
    /// <summary>Key (and value) width: KV heads × head_dim.</summary>
    public int KvDim => NumKvHeads * HeadDim;

    /// <summary>Reads <c>config.json</c> from a model directory.</summary>
    public static LlamaConfig Load(string modelDirectory) =>
        LlamaConfigReader.Read(Path.Combine(modelDirectory, "config.json"));
}
