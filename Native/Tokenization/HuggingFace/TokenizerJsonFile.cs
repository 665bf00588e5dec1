using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>Reading a tokenizer JSON file, with errors that name it.</summary>
internal static class TokenizerJsonFile
{
    public const string FileName = "tokenizer.json";

    public static JsonDocument Parse(string path)
    {
        return ModelJson.Parse(File.ReadAllBytes(path), why => new TokenizerException(path, why));
    }
}
