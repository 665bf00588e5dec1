namespace BlitzScale.Native.Models.Synthetic;

/// <summary>Model shapes of real Llama-family models, for synthetic weights.</summary>
public static class SyntheticShapes
{
    /// <summary>The shape <c>blitz generate</c> uses when no model is given: small enough to create and run in a second.</summary>
    public const string Default = "tiny";

    private static readonly Dictionary<string, LlamaConfig> Shapes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tiny"] = Llama(hidden: 128, intermediate: 344, layers: 4, heads: 4, kvHeads: 2, vocab: 512, context: 1024, tied: false),
        // Karpathy's tinyllamas (llama2.c).
        ["stories15m"] = Llama(hidden: 288, intermediate: 768, layers: 6, heads: 6, kvHeads: 6, vocab: 32000, context: 256, tied: true),
        ["stories42m"] = Llama(hidden: 512, intermediate: 1376, layers: 8, heads: 8, kvHeads: 8, vocab: 32000, context: 1024, tied: true),
        ["stories110m"] = Llama(hidden: 768, intermediate: 2048, layers: 12, heads: 12, kvHeads: 12, vocab: 32000, context: 1024, tied: true),
        ["llama2-7b"] = Llama(hidden: 4096, intermediate: 11008, layers: 32, heads: 32, kvHeads: 32, vocab: 32000, context: 4096, tied: false),
        ["llama2-13b"] = Llama(hidden: 5120, intermediate: 13824, layers: 40, heads: 40, kvHeads: 40, vocab: 32000, context: 4096, tied: false),
        // llama3-8b an eighth as wide, as deep, vocabulary an eighth: every matrix 1/64 of the real one, so a layer's share of the
        // image (6.7 % per layer, embedding and head 6.5 % each) and the profile's 32 layers are the real model's: the testbed's
        // loads have its proportions (stories110m's f32 embedding is 22 % of its image, and it has 12 layers).
        ["llama3-8b-narrow"] = Llama(hidden: 512, intermediate: 1792, layers: 32, heads: 4, kvHeads: 1, vocab: 16032, context: 8192, tied: false) with
        {
            RopeTheta = 500000.0,
        },
        ["llama3-8b"] = Llama(hidden: 4096, intermediate: 14336, layers: 32, heads: 32, kvHeads: 8, vocab: 128256, context: 131072, tied: false) with
        {
            RopeTheta = 500000.0,
            RopeScaling = new RopeScaling(8.0, 1.0, 4.0, 8192),
            BosTokenId = 128000,
            EosTokenId = 128001,
        },
    };

    /// <summary>The names of the known shapes.</summary>
    public static IReadOnlyCollection<string> Names => Shapes.Keys;

    /// <summary>The config of a named shape.</summary>
    /// <exception cref="ArgumentException">The name is not a known shape; the message lists them.</exception>
    public static LlamaConfig Get(string name) =>
        Shapes.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"unknown model shape \"{name}\": expected one of {string.Join(", ", Shapes.Keys)}", nameof(name));

    private static LlamaConfig Llama(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab, int context, bool tied) => new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        NumLayers = layers,
        NumHeads = heads,
        NumKvHeads = kvHeads,
        HeadDim = hidden / heads,
        VocabSize = vocab,
        MaxPositionEmbeddings = context,
        RmsNormEps = 1e-5,
        RopeTheta = 10000.0,
        TieWordEmbeddings = tied,
        AttentionBias = false,
        BosTokenId = GenerationConfig.DefaultBos,
        EosTokenId = GenerationConfig.DefaultEos,
    };
}
