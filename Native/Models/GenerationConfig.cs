using System.Text.Json;

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
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(File.ReadAllBytes(path));
            }
            catch (JsonException e)
            {
                throw new ModelConfigException(path, $"not valid JSON: {e.Message}");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new ModelConfigException(path, $"expected a JSON object, found {doc.RootElement.ValueKind}");
                var fields = new FieldReader(path, doc.RootElement);
                bos = fields.OptionalTokenId("bos_token_id") ?? bos;
                eos = fields.OptionalTokenId("eos_token_id") ?? eos;
            }
        }
        return new GenerationConfig(bos ?? DefaultBos, eos ?? DefaultEos);
    }
}
