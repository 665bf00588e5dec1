namespace BlitzScale.Silo.Tests;

/// <summary>Pins that <see cref="FreePorts"/> never hands one process the same port twice.</summary>
public sealed class FreePortsTests
{
    [Fact]
    public void Two_thousand_ports_asked_in_a_row_are_all_different()
    {
        // The OS draws bind-to-0 ports from about 28 000 ephemeral ones and may reuse one it just released: two thousand asks
        // without the rule repeat a port almost surely (a CI run on 8 December got one port for a silo and its gateway).
        var ports = Enumerable.Range(0, 2000).Select(_ => FreePorts.Next()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1, 65535));
    }
}
