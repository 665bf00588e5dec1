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
