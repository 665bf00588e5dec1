using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Compute.Timed;

/// <summary>Small cost-profile files the tests write themselves, so they run on a bare clone.</summary>
internal static class ProfileFiles
{
    public const string DeviceRow = """{"device": "Test GPU", "h2d_pinned_GBps": 50.0}""";

    /// <summary>
    /// Prefill points (1, 1.0) (from decode_B1), (10, 2.0), (30, 4.0); decode points (1, 1.0), (4, 1.5), (8, 3.5).
    /// The fields are out of size order on purpose: the reader sorts them.
    /// </summary>
    public const string Tiny = """{"model": "tiny", "layer_params": 500, "layer_bytes_bf16": 1000, "n_layers": 4, "prefill_T30_ms": 4.0, "prefill_T10_ms": 2.0, "decode_B8_ctx1024_ms": 3.5, "decode_B1_ctx1024_ms": 1.0, "decode_B4_ctx1024_ms": 1.5}""";

    public const string Other = """{"model": "other", "layer_bytes_bf16": 2000, "n_layers": 2, "prefill_T100_ms": 1.0, "decode_B1_ctx1024_ms": 0.5, "decode_B2_ctx1024_ms": 0.6}""";

    /// <summary>Writes the lines to a file in <paramref name="dir"/> and returns its path.</summary>
    public static string Write(TempDirectory dir, params string[] lines)
    {
        string path = dir.File("costs.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
