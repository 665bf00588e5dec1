using System.Text.Json.Nodes;

namespace BlitzScale.DeviceCheck;

/// <summary>The goals read off a finished report: goldens exact, H2D ratio ≥ 0.95, prefill 2048 ≤ 1.5× PyTorch eager.</summary>
internal static class Goals
{
    public const double UploadRatio = 0.95;
    public const double LayerRatio = 1.5;

    public static JsonObject Evaluate(JsonObject report) => new()
    {
        ["goldens_exact"] = report["goldens_stories260k_f32"]?["all_passed"]?.GetValue<bool>(),
        ["split_bit_identical"] = report["split_invariance"]?["all_bit_identical"]?.GetValue<bool>(),
        ["h2d_ratio_at_least_0_95"] = Ratio(report["h2d_upload"]?["ratio_vs_pinned_copy"]) is { } u ? u >= UploadRatio : null,
        ["prefill_2048_within_1_5x_torch"] = Ratio(report["layer_time_llama3_8b"]?["ratio_prefill_T2048"]) is { } l ? l <= LayerRatio : null,
    };

    private static double? Ratio(JsonNode? node) => node is JsonValue value && value.TryGetValue(out double d) ? d : null;
}
