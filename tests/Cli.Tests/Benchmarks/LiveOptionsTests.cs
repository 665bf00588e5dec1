using BlitzScale.Cli.Benchmarks;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Synthetic;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary><c>bench live</c>'s options are checked before the testbed or the model is touched, each refusal naming its option.</summary>
public sealed class LiveOptionsTests
{
    private static LiveOptions Options(int cpusPerHost = 0, int rounds = 1, int newInstances = LiveOptions.DefaultNewInstances, int? maxBatchTokens = null,
        int hosts = LiveOptions.DefaultHosts, bool newOverNetwork = false, string liveMove = "never", bool seedPerRound = false) =>
        new("/nonexistent/model", null, hosts, 1, newInstances, "cpu", null, "llama3-8b", null, LiveOptions.DefaultRealLinkGbps,
            LiveOptions.DefaultLinkMbit, 50, LiveOptions.DefaultSequencesPerInstance, null, LiveOptions.DefaultSteadySeconds, null,
            LiveOptions.DefaultBurstSeconds, LiveOptions.DefaultPromptTokens, LiveOptions.DefaultOutputTokens, 1, ["blitz", "blitz-fast"], 6399,
            "/tmp/blitz-testbed", null, false, rounds, cpusPerHost, maxBatchTokens, newOverNetwork, liveMove, seedPerRound);

    [Fact]
    public void Every_round_plays_the_seeds_arrivals_unless_each_round_has_its_own()
    {
        Assert.Equal([1, 1, 1], Enumerable.Range(1, 3).Select(Options(rounds: 3).RoundSeed));
        Assert.Equal([1, 2, 3], Enumerable.Range(1, 3).Select(Options(rounds: 3, seedPerRound: true).RoundSeed));
        Assert.Equal([7, 8], Enumerable.Range(1, 2).Select((Options(rounds: 2, seedPerRound: true) with { Seed = 7 }).RoundSeed));
    }

    [Fact]
    public void Valid_options_give_the_policies_in_order()
    {
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.BlitzFast], LiveBenchmark.Validate(Options()));
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.BlitzFast], LiveBenchmark.Validate(Options(cpusPerHost: Environment.ProcessorCount)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void A_core_count_outside_the_machines_is_refused_naming_the_option(int cpusPerHost)
    {
        var error = Assert.Throws<ArgumentException>(() => LiveBenchmark.Validate(Options(cpusPerHost)));
        Assert.Equal($"--cpus-per-host must be in [0, this machine's {Environment.ProcessorCount} cores], found {cpusPerHost}", error.Message);
    }

    [Fact]
    public void Other_refusals_name_their_option_and_what_was_found()
    {
        Assert.Equal("--rounds must be ≥ 1, found 0", Assert.Throws<ArgumentException>(() => LiveBenchmark.Validate(Options(rounds: 0))).Message);
        Assert.Equal("--new-instances must be in [1, hosts × gpus - 1 = 2], found 3",
            Assert.Throws<ArgumentException>(() => LiveBenchmark.Validate(Options(newInstances: 3))).Message);
        Assert.Equal("--max-batch-tokens must be ≥ --sequences-per-instance (16), so that every seated request decodes each step; found 15",
            Assert.Throws<ArgumentException>(() => LiveBenchmark.Validate(Options(maxBatchTokens: 15))).Message);
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.BlitzFast], LiveBenchmark.Validate(Options(maxBatchTokens: 16)));
    }

    [Fact]
    public void The_emulated_gpu_holds_one_instances_parameters_and_kv_blocks()
    {
        var config = SyntheticShapes.Get(LiveOptions.DefaultShape);
        const long modelBytes = 502_009_856;
        // 16 code-shaped requests (1,469 in, 13 out) fit the default 2 GiB; 64 do not (the warm-up's deploy refused them).
        Assert.Equal(MulticastTestbed.DefaultGpuMemoryGiB, MulticastTestbed.GpuMemoryFor(LiveRates.InstanceBytes(config, modelBytes, LiveRates.KvBlocks(16, 1469, 13))));
        int blocks = LiveRates.KvBlocks(64, 1469, 13);
        long kvBytes = LiveRates.InstanceBytes(config, modelBytes, blocks) - modelBytes;
        Assert.Equal(3_120_562_176, kvBytes);
        Assert.Equal(kvBytes, new KvStoreShape(blocks, LiveRates.Policy(blocks, maxBatchTokens: 64).BlockSize).Bytes(config));
        double gib = MulticastTestbed.GpuMemoryFor(LiveRates.InstanceBytes(config, modelBytes, blocks));
        Assert.True(gib * (1L << 30) >= 1.125 * (modelBytes + kvBytes), $"{gib} GiB");
        Assert.Equal(4.0, gib);
    }

    [Fact]
    public void A_live_move_rule_is_named_or_refused_with_the_three_names()
    {
        Assert.Equal("--live-move: expected never, when-waiting or after-prompt, found \"always\"",
            Assert.Throws<ArgumentException>(() => LiveBenchmark.Validate(Options(liveMove: "always"))).Message);
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.BlitzFast], LiveBenchmark.Validate(Options(liveMove: "when-waiting")));
    }

    [Fact]
    public void New_instances_over_the_network_need_two_hosts_besides_theirs()
    {
        // Three hosts leave one for new instances once the busy instance's and the copy's are out: two do not fit.
        Assert.Equal("--new-over-network: 2 new instance(s) need (hosts − 2) × gpus ≥ 2 (the busy instance's host and the host copy's are left out); found (3 − 2) × 1",
            Assert.Throws<ArgumentException>(() => LiveBenchmark.Validate(Options(newOverNetwork: true))).Message);
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.BlitzFast], LiveBenchmark.Validate(Options(hosts: 4, newOverNetwork: true)));
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.BlitzFast], LiveBenchmark.Validate(Options(newInstances: 1, newOverNetwork: true)));
    }
}
