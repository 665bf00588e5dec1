namespace BlitzScale.Native.Models;

/// <summary>BOS and EOS token ids: from generation_config.json, else config.json, else the Llama defaults 1 and 2.</summary>
public sealed record GenerationConfig(int BosTokenId, int EosTokenId)
{
    /// <summary>The Llama SentencePiece convention.</summary>
    public const int DefaultBos = 1;
    /// <summary>The Llama SentencePiece convention.</summary>
    public const int DefaultEos = 2;

    /// <summary>Reads generation_config.json if present, falling back to the model config.</summary>
    public static GenerationConfig Load(string modelDirectory, LlamaConfig config)
    {
        int? bos = config.BosTokenId, eos = config.EosTokenId;
        string path = Path.Combine(modelDirectory, "generation_config.json");
        if (File.Exists(path))
        {
            using var doc = LlamaConfigReader.ReadObject(path);
            var fields = new FieldReader(path, doc.RootElement);
            bos = fields.OptionalTokenId("bos_token_id") ?? bos;
            eos = fields.OptionalTokenId("eos_token_id") ?? eos;
        }
        return new GenerationConfig(bos ?? DefaultBos, eos ?? DefaultEos);
    }
}
