using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>bench chaos's options: fault names, hold bounds and the numbers checked before the testbed comes up, each with a message naming the option.</summary>
public sealed class ChaosOptionsTests
{
    private static ChaosOptions Options(int hosts = 4, int gpus = 1, string faults = ChaosOptions.DefaultFaults, int divisor = 4, ChaosBounds? bounds = null) => new(
        new ReplayBenchOptions("/m", null, hosts, gpus, null, "llama3-8b", null, 100, 1000, 50, 16,
            new ReplayPlanOptions("t.csv", null, null, null, true, null, null, 512, 128, 1), ChaosOptions.DefaultPlayedSeconds, ChaosOptions.DefaultLoadShare, null,
            1000, 100, 1, ["blitz"], 6399, "/tmp/blitz-testbed", null, false),
        ChaosOptions.DefaultFaultSeed, ChaosFaultKinds.Parse(faults), bounds ?? ChaosBounds.Default, divisor);

    [Fact]
    public void Fault_names_parse_in_order_and_unknown_repeated_or_missing_ones_are_named()
    {
        Assert.Equal([ChaosFaultKind.LinkDegrade, ChaosFaultKind.SiloKill], ChaosFaultKinds.Parse(" link-degrade, SILO-KILL"));
        Assert.Equal(ChaosOptions.DefaultFaults, string.Join(",", ChaosFaultKinds.Parse(ChaosOptions.DefaultFaults).Select(ChaosFaultKinds.Name)));
        Assert.Contains("\"reboot\"", Assert.Throws<ArgumentException>(() => ChaosFaultKinds.Parse("silo-kill,reboot")).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => ChaosFaultKinds.Parse("silo-kill,silo-kill")).Message);
        Assert.Contains("--faults", Assert.Throws<ArgumentException>(() => ChaosFaultKinds.Parse(" , ")).Message);
    }

    [Fact]
    public void Hold_bounds_are_min_dash_max_or_one_number()
    {
        Assert.Equal((4.0, 8.0), (BenchChaosCommand.HoldBounds("4-8").MinHoldSeconds, BenchChaosCommand.HoldBounds("4-8").MaxHoldSeconds));
        Assert.Equal((5.0, 5.0), (BenchChaosCommand.HoldBounds("5").MinHoldSeconds, BenchChaosCommand.HoldBounds("5").MaxHoldSeconds));
        Assert.Contains("--hold-seconds", Assert.Throws<ArgumentException>(() => BenchChaosCommand.HoldBounds("soon")).Message);
        Assert.Contains("--hold-seconds", Assert.Throws<ArgumentException>(() => Options(bounds: BenchChaosCommand.HoldBounds("8-4")).Validate()).Message);
    }

    [Fact]
    public void The_defaults_pass_and_each_bad_number_is_refused_naming_its_option()
    {
        Options().Validate();
        Options(hosts: 2, faults: "silo-kill,link-degrade").Validate();

        Assert.Contains("--hosts", Assert.Throws<ArgumentException>(() => Options(hosts: 1).Validate()).Message);
        Assert.Contains("source-kill", Assert.Throws<ArgumentException>(() => Options(hosts: 2).Validate()).Message);
        Assert.Contains("--rate-divisor", Assert.Throws<ArgumentException>(() => Options(divisor: 1).Validate()).Message);
        Assert.Contains("--gpus", Assert.Throws<ArgumentException>(() => Options(gpus: 0).Validate()).Message);
    }

    [Fact]
    public void The_command_line_parses_with_the_chaos_defaults()
    {
        var parse = BlitzRoot.Create().Parse(["bench", "chaos", "--fault-seed", "3", "--faults", "silo-kill", "--hold-seconds", "2-3"]);

        Assert.Empty(parse.Errors);
        Assert.NotEmpty(BlitzRoot.Create().Parse(["bench", "chaos", "--fault-seed", "soon"]).Errors);
        Assert.Empty(BlitzRoot.Create().Parse(["bench", "chaos", "--source-with-model-grain"]).Errors);
        Assert.NotEmpty(BlitzRoot.Create().Parse(["bench", "chaos", "--source-with-model-grain", "maybe"]).Errors);
    }
}
