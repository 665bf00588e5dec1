using BlitzScale.Native.Compute.Timed;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Native.Tests.Compute.Timed;

/// <summary>The cost profile: reading a row, interpolating a step's per-layer time, whole-model figures, and errors that say what was wrong where.</summary>
public sealed class CostProfileTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-9;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CostProfile Tiny() => CostProfile.Load(ProfileFiles.Write(_dir, ProfileFiles.DeviceRow, ProfileFiles.Tiny, ProfileFiles.Other), "tiny");

    [Fact]
    public void The_named_row_is_read_and_its_points_are_parsed_from_the_field_names()
    {
        var profile = Tiny();
        Assert.Equal("tiny", profile.Model);
        Assert.Equal(1000, profile.LayerBytes);
        Assert.Equal(4, profile.Layers);
        Assert.Equal(1024, profile.DecodeContext);
        Assert.Equal([new(1, 1.0), new(10, 2.0), new(30, 4.0)], profile.PrefillPoints);
        Assert.Equal([new(1, 1.0), new(4, 1.5), new(8, 3.5)], profile.DecodePoints);
    }

    [Fact]
    public void Another_row_of_the_same_file_is_read_by_its_name()
    {
        var profile = CostProfile.Load(ProfileFiles.Write(_dir, ProfileFiles.DeviceRow, ProfileFiles.Tiny, ProfileFiles.Other), "other");
        Assert.Equal(2, profile.Layers);
        Assert.Equal([new(1, 0.5), new(100, 1.0)], profile.PrefillPoints);
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(10, 2.0)]
    [InlineData(30, 4.0)]
    public void Prefill_at_a_point_costs_the_measured_time(int tokens, double ms) =>
        Assert.Equal(ms, Tiny().PrefillLayerMilliseconds(tokens), Tolerance);

    [Theory]
    [InlineData(5, 1.0 + 4.0 / 9.0)]
    [InlineData(20, 3.0)]
    [InlineData(29, 3.9)]
    public void Prefill_between_points_is_interpolated_linearly(int tokens, double ms) =>
        Assert.Equal(ms, Tiny().PrefillLayerMilliseconds(tokens), Tolerance);

    [Theory]
    [InlineData(50, 6.0)]
    [InlineData(130, 14.0)]
    public void Prefill_beyond_the_last_point_extends_the_line_through_the_last_two(int tokens, double ms) =>
        Assert.Equal(ms, Tiny().PrefillLayerMilliseconds(tokens), Tolerance);

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 1.0 + 0.5 / 3.0)]
    [InlineData(4, 1.5)]
    [InlineData(6, 2.5)]
    [InlineData(8, 3.5)]
    [InlineData(16, 7.5)]
    public void Decode_is_interpolated_over_the_decode_points_and_extrapolated_beyond(int sequences, double ms) =>
        Assert.Equal(ms, Tiny().DecodeLayerMilliseconds(sequences), Tolerance);

    [Fact]
    public void A_curve_that_falls_at_its_end_is_held_at_its_last_point_beyond_it()
    {
        string falling = """{"model": "falling", "layer_bytes_bf16": 1, "n_layers": 1, "prefill_T8_ms": 1.0, "decode_B1_ctx1024_ms": 0.3, "decode_B64_ctx1024_ms": 0.2, "decode_B256_ctx1024_ms": 0.19}""";
        var profile = CostProfile.Load(ProfileFiles.Write(_dir, falling), "falling");
        Assert.Equal(0.195, profile.DecodeLayerMilliseconds(160), Tolerance);
        Assert.Equal(0.19, profile.DecodeLayerMilliseconds(100_000), Tolerance);
    }

    [Fact]
    public void A_mixed_step_costs_a_prefill_of_all_its_tokens()
    {
        var profile = Tiny();
        Assert.Equal(2.0, profile.LayerMilliseconds(prefillTokens: 5, decodes: 5), Tolerance);
        Assert.Equal(profile.PrefillLayerMilliseconds(24), profile.LayerMilliseconds(prefillTokens: 20, decodes: 4), Tolerance);
    }

    [Fact]
    public void A_step_without_prefill_tokens_costs_a_decode_and_an_empty_step_costs_nothing()
    {
        var profile = Tiny();
        Assert.Equal(2.5, profile.LayerMilliseconds(prefillTokens: 0, decodes: 6), Tolerance);
        Assert.Equal(0, profile.LayerMilliseconds(0, 0));
    }

    [Fact]
    public void A_step_over_several_layers_is_stretched_by_the_dilation()
    {
        var profile = Tiny();
        Assert.Equal(2.0 * 4 / 1e3, profile.StepSeconds(layers: 4, prefillTokens: 10, decodes: 0, dilation: 1), Tolerance);
        Assert.Equal(2.0 * 4 * 2.5 / 1e3, profile.StepSeconds(layers: 4, prefillTokens: 10, decodes: 0, dilation: 2.5), Tolerance);
        Assert.Equal(3.5 * 3 * 0.5 / 1e3, profile.StepSeconds(layers: 3, prefillTokens: 0, decodes: 8, dilation: 0.5), Tolerance);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_dilation_that_is_not_positive_and_finite_is_refused(double dilation) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Tiny().StepSeconds(4, 10, 0, dilation));

    [Fact]
    public void Capacity_figures_follow_from_the_step_times()
    {
        var profile = Tiny();
        Assert.Equal(30 / (4.0 * 4 / 1e3), profile.PrefillTokensPerSecond(layers: 4, tokens: 30, dilation: 1), 1e-6);
        Assert.Equal(8 / (3.5 * 4 * 2 / 1e3), profile.DecodeTokensPerSecond(layers: 4, batch: 8, dilation: 2), 1e-6);
        Assert.Equal(profile.DecodeTokensPerSecond(4, 8, 1) / 2, profile.DecodeTokensPerSecond(8, 8, 1), 1e-6);
    }

    [Fact]
    public void An_unknown_model_lists_the_models_the_file_has()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.DeviceRow, ProfileFiles.Tiny, ProfileFiles.Other);
        var error = Assert.Throws<KeyNotFoundException>(() => CostProfile.Load(path, "llama3-8b"));
        Assert.Contains(path, error.Message);
        Assert.Contains("llama3-8b", error.Message);
        Assert.Contains("tiny, other", error.Message);
        Assert.Equal(["tiny", "other"], CostProfile.ModelsIn(path));
    }

    [Fact]
    public void A_missing_field_names_the_file_the_line_and_the_field()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.DeviceRow, ProfileFiles.Tiny.Replace("\"n_layers\": 4, ", "", StringComparison.Ordinal));
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains($"{path}, line 2", error.Message);
        Assert.Contains("\"n_layers\" is missing", error.Message);
    }

    [Fact]
    public void The_device_rows_host_to_gpu_rate_is_read_and_a_file_without_one_has_none()
    {
        Assert.Equal(50.0, Tiny().HostToDeviceGBps);
        Assert.Null(CostProfile.Load(ProfileFiles.Write(_dir, ProfileFiles.Tiny), "tiny").HostToDeviceGBps);
        string bad = ProfileFiles.Write(_dir, """{"device": "Test GPU", "h2d_pinned_GBps": -3}""", ProfileFiles.Tiny);
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(bad, "tiny"));
        Assert.Contains($"{bad}, line 1: field \"h2d_pinned_GBps\": expected a positive rate in GB/s, found -3", error.Message);
    }

    [Fact]
    public void A_bad_number_names_the_field_and_what_was_found()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.Tiny.Replace("\"prefill_T10_ms\": 2.0", "\"prefill_T10_ms\": \"fast\"", StringComparison.Ordinal));
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains($"{path}, line 1: field \"prefill_T10_ms\": expected a positive number of milliseconds, found \"fast\"", error.Message);
    }

    [Fact]
    public void A_negative_time_is_refused()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.Tiny.Replace("\"decode_B4_ctx1024_ms\": 1.5", "\"decode_B4_ctx1024_ms\": -1.5", StringComparison.Ordinal));
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains("\"decode_B4_ctx1024_ms\": expected a positive number of milliseconds, found -1.5", error.Message);
    }

    [Fact]
    public void A_row_without_a_one_sequence_decode_is_refused()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.Tiny.Replace("\"decode_B1_ctx1024_ms\": 1.0, ", "", StringComparison.Ordinal));
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains("\"decode_B1_ctx1024_ms\" is missing", error.Message);
    }

    [Fact]
    public void A_row_without_prefill_points_is_refused()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.Tiny.Replace("\"prefill_T30_ms\": 4.0, \"prefill_T10_ms\": 2.0, ", "", StringComparison.Ordinal));
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains("prefill_T{n}_ms", error.Message);
    }

    [Fact]
    public void Decode_points_at_two_context_lengths_are_refused()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.Tiny.Replace("decode_B8_ctx1024_ms", "decode_B8_ctx2048_ms", StringComparison.Ordinal));
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains("ctx2048", error.Message);
        Assert.Contains("ctx1024", error.Message);
    }

    [Fact]
    public void An_empty_file_is_refused_naming_it()
    {
        string path = ProfileFiles.Write(_dir);
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void A_file_of_device_rows_only_has_no_models()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.DeviceRow);
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains("no model rows", error.Message);
    }

    [Fact]
    public void Malformed_json_names_its_line()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.DeviceRow, "", "{\"model\": \"tiny\",");
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains($"{path}, line 3: expected a JSON object", error.Message);
    }

    [Fact]
    public void A_model_listed_twice_is_refused()
    {
        string path = ProfileFiles.Write(_dir, ProfileFiles.Tiny, ProfileFiles.Tiny);
        var error = Assert.Throws<FormatException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains("line 2", error.Message);
        Assert.Contains("first on line 1", error.Message);
    }

    [Fact]
    public void A_missing_file_is_a_file_not_found_naming_it()
    {
        string path = _dir.File("absent.jsonl");
        var error = Assert.Throws<FileNotFoundException>(() => CostProfile.Load(path, "tiny"));
        Assert.Contains(path, error.Message);
    }

    [SkippableFact]
    public void The_shared_h200_profile_gives_the_measured_llama3_8b_figures()
    {
        string path = SharedData.Require("measurements", "h200-layer-costs.jsonl");
        var profile = CostProfile.Load(path, "llama3-8b");
        Assert.Equal(32, profile.Layers);
        Assert.Equal(436207616, profile.LayerBytes);
        Assert.Equal([1, 128, 512, 2048], profile.PrefillPoints.Select(p => p.Size));
        Assert.Equal([1, 16, 64, 256], profile.DecodePoints.Select(p => p.Size));
        Assert.Equal(1.3944, profile.PrefillLayerMilliseconds(2048), Tolerance);
        Assert.Equal(0.2322, profile.DecodeLayerMilliseconds(64), Tolerance);
        // A 2048-token prefill of the whole model: 32 layers of 1.3944 ms.
        Assert.Equal(2048 / (32 * 1.3944e-3), profile.PrefillTokensPerSecond(32, 2048, 1), 1e-6);
        Assert.Contains("mistral-small-24b", CostProfile.ModelsIn(path));
        output.WriteLine($"{profile}: prefill 2048 = {profile.PrefillTokensPerSecond(32, 2048, 1):0} tokens/s, decode 64 = {profile.DecodeTokensPerSecond(32, 64, 1):0} tokens/s");
    }
}
