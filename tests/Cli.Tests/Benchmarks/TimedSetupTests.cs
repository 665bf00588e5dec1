using BlitzScale.Cli.Benchmarks;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The timed backend of the testbed benches: the profile's row, D given or derived, and the silo options carrying them.</summary>
public sealed class TimedSetupTests : IDisposable
{
    private const string Row = """{"model": "t", "layer_bytes_bf16": 1000000, "n_layers": 2, "prefill_T100_ms": 2.0, "decode_B1_ctx1024_ms": 1.0, "decode_B16_ctx1024_ms": 1.0}""";
    private readonly TempDirectory _dir = new();
    private readonly string _path;

    public TimedSetupTests()
    {
        _path = _dir.File("costs.jsonl");
        File.WriteAllLines(_path, [Row]);
    }

    [Fact]
    public void A_given_dilation_is_used_as_given_and_every_silo_gets_the_profile_row_and_D()
    {
        var timed = TimedSetup.Resolve(_path, "t", 2.5, 100, 1000, 1000, "needs a profile");

        Assert.Equal((2.5, "given (--time-dilation)"), (timed.Dilation, timed.DilationSource));
        Assert.Equal($"--cost-profile {timed.Profile.Path} --cost-model t --time-dilation 2.5", timed.SiloArgs);
        Assert.Equal(TimedEngine.Describe(timed.Profile, 2.5), timed.Backend);
    }

    [Fact]
    public void Without_a_dilation_it_is_derived_from_the_links_and_rounded()
    {
        var derived = TimeDilation.Derive(1_000_000, 100, 28_000_000, 1000);

        var timed = TimedSetup.Resolve(_path, "t", null, 100, 28_000_000, 1000, "needs a profile");

        Assert.Equal(Math.Round(derived.Factor, 3), timed.Dilation);
        Assert.Equal($"derived: {derived}", timed.DilationSource);
    }

    [Fact]
    public void A_device_row_gives_the_silos_a_host_to_gpu_rate_in_the_real_clusters_proportion_to_the_link()
    {
        File.WriteAllLines(_path, ["""{"device": "H200", "h2d_pinned_GBps": 55.43}""", Row]);

        var timed = TimedSetup.Resolve(_path, "t", 2.5, realLinkGbps: 100, 1000, linkMbit: 1000, "needs a profile");

        // 55.43 GB/s against a 100 Gbit/s link's 12.5 GB/s is 4.43 ×; the testbed's 1000 Mbit/s link carries 125 MB/s.
        Assert.Equal(554.3, timed.HostToDeviceMBps);
        Assert.EndsWith(" --host-to-device-mbps 554.3", timed.SiloArgs);
        Assert.Contains("4.43 ×", timed.HostToDeviceSource);
    }

    [Fact]
    public void A_profile_of_a_known_shape_sends_activations_in_the_real_models_proportion_to_its_layers()
    {
        // llama3-8b's layer is 436,207,616 bytes in bf16; the narrow testbed model's 13,635,584 in f32 (1/31.99).
        File.WriteAllLines(_path, ["""{"model": "llama3-8b", "layer_bytes_bf16": 436207616, "n_layers": 32, "prefill_T100_ms": 2.0, "decode_B1_ctx1024_ms": 1.0, "decode_B16_ctx1024_ms": 1.0}"""]);
        var narrow = Native.Models.Synthetic.SyntheticShapes.Get("llama3-8b-narrow");

        var timed = TimedSetup.Resolve(_path, "llama3-8b", 2.5, 100, 13_635_584, 1000, "needs a profile", narrow);

        // 4096 bf16 values against 512 f32 (4 ×), times 1/31.99: an eighth of each row.
        Assert.Equal(0.125, timed.ActivationShare, 3);
        Assert.EndsWith($" --activation-share {timed.ActivationShare.ToString(System.Globalization.CultureInfo.InvariantCulture)}", timed.SiloArgs);
        Assert.Contains("4 × the testbed's 512 f32", timed.ActivationSource);
    }

    [Fact]
    public void A_profile_without_a_known_shape_or_no_testbed_model_sends_every_value()
    {
        var narrow = Native.Models.Synthetic.SyntheticShapes.Get("llama3-8b-narrow");

        var unknown = TimedSetup.Resolve(_path, "t", 2.5, 100, 1000, 1000, "needs a profile", narrow);
        var none = TimedSetup.Resolve(_path, "t", 2.5, 100, 1000, 1000, "needs a profile");

        Assert.Equal((1.0, 1.0), (unknown.ActivationShare, none.ActivationShare));
        Assert.Contains("no known shape for the profile's model \"t\"", unknown.ActivationSource);
        Assert.DoesNotContain("--activation-share", unknown.SiloArgs);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.01)]
    public void A_given_activation_share_outside_zero_to_one_is_refused(double share) =>
        Assert.Contains("--activation-share: expected a share in (0, 1]",
            Assert.Throws<ArgumentException>(() => TimedSetup.Resolve(_path, "t", 2.5, 100, 1000, 1000, "needs a profile", null, share)).Message);

    [Fact]
    public void Without_a_device_row_the_host_to_gpu_copy_is_left_unpaced()
    {
        var timed = TimedSetup.Resolve(_path, "t", 2.5, 100, 1000, 1000, "needs a profile");

        Assert.Null(timed.HostToDeviceMBps);
        Assert.DoesNotContain("--host-to-device-mbps", timed.SiloArgs);
    }

    [Fact]
    public void No_profile_or_a_bad_dilation_is_refused_with_the_callers_words()
    {
        Assert.Equal("bench x needs --cost-profile FILE", Assert.Throws<ArgumentException>(() => TimedSetup.Resolve(null, "t", null, 100, 1000, 1000, "bench x needs --cost-profile FILE")).Message);
        Assert.Contains("--time-dilation", Assert.Throws<ArgumentOutOfRangeException>(() => TimedSetup.Resolve(_path, "t", -1, 100, 1000, 1000, "x")).Message);
    }

    public void Dispose() => _dir.Dispose();
}
