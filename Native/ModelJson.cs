using System.Buffers;
using System.Text;
using System.Text.Json;

namespace BlitzScale.Native;

/// <summary>
/// Parses a model file's JSON (config.json, tokenizer.json, a checkpoint index): System.Text.Json checks UTF-8 only
/// inside the strings it is later asked to decode, and then throws <see cref="InvalidOperationException"/> from deep
/// in a reader, so the whole text is checked up front and every failure is the caller's documented error.
/// </summary>
internal static class ModelJson
{
    /// <summary>The parsed document.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="error">Makes the caller's error (naming the file) from what was wrong.</param>
    public static JsonDocument Parse(byte[] bytes, Func<string, Exception> error)
    {
        if (InvalidUtf8At(bytes) is { } at) throw error($"not valid UTF-8 (byte {at} of {bytes.Length})");
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw error($"not valid JSON: {e.Message}");
        }
    }

    /// <summary>The offset of the first byte that is not valid UTF-8; null when all of it is.</summary>
    public static long? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        for (int at = 0; at < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[at..], out _, out int consumed) != OperationStatus.Done) return at;
            at += consumed;
        }
        return null;
    }
}
