using BlitzScale.Cli.Commands;
using BlitzScale.Client;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>The text of <c>blitz status</c> for an instance: its load and, for one that served live, its ledger.</summary>
public sealed class StatusTableTests
{
    [Fact]
    public void An_instance_that_served_live_shows_its_ledger_and_one_that_did_not_shows_none()
    {
        const string ledger = "3 requests: 2 split (at layers 4–6), 1 served here alone, 0 without a first token";
        InstanceStatus Instance(int index, string? live) => new(index, $"m/{index}/0", $"h{index}/gpu0", InstanceState.Serving, 8, 8, 0, 0, 0, 64, 0, 0,
            null, 1.5, "h1/gpu0 (Network)", 1_000_000, LiveServed: live);
        var status = new ClusterStatus([], [new ModelStatus("m", "/m", [Instance(0, null), Instance(1, ledger)], 0, 0)], []);

        using var text = new StringWriter();
        StatusTable.Write(status, text);

        var lines = text.ToString().Split(Environment.NewLine);
        int first = Array.FindIndex(lines, l => l.StartsWith("m ", StringComparison.Ordinal) && l.Contains("m/0/0", StringComparison.Ordinal));
        int second = Array.FindIndex(lines, l => l.Contains("m/1/0", StringComparison.Ordinal));
        Assert.True(first >= 0 && second > first, text.ToString());
        Assert.DoesNotContain(lines[first..second], l => l.Contains("served live", StringComparison.Ordinal));
        Assert.Contains($"    served live while loading: {ledger}", lines[second..]);
    }
}
