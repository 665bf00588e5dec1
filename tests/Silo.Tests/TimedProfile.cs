using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests;

/// <summary>A small cost profile with two models, written by the tests so they run on a bare clone.</summary>
internal static class TimedProfile
{
    public const string Rows = """
        {"device": "Test GPU"}
        {"model": "small", "layer_bytes_bf16": 1000, "n_layers": 4, "prefill_T16_ms": 2.0, "decode_B1_ctx1024_ms": 1.0, "decode_B8_ctx1024_ms": 1.5}
        {"model": "large", "layer_bytes_bf16": 9000, "n_layers": 8, "prefill_T16_ms": 4.0, "decode_B1_ctx1024_ms": 2.0, "decode_B8_ctx1024_ms": 2.5}
        """;

    public static string Write(TempDirectory dir)
    {
        string path = dir.File("costs.jsonl");
        File.WriteAllText(path, Rows);
        return path;
    }
}
