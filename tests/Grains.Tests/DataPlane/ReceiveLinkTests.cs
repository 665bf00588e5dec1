using System.Diagnostics;
using BlitzScale.Grains.DataPlane;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>The emulated receive link is one per host: concurrent transfers share its rate.</summary>
public sealed class ReceiveLinkTests
{
    [Fact]
    public async Task Two_transfers_at_once_share_the_rate()
    {
        // 1 MB/s: 4 chunks of 25 kB on each of two transfers are 200 kB, 0.2 s on a shared link (0.1 s if each had its own);
        // the bound leaves 10 ms for sleeps rounded to whole milliseconds.
        var link = new ReceiveLink(1);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            for (int chunk = 0; chunk < 4; chunk++) link.Deliver(25_000);
        })));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.19), $"200 kB crossed a 1 MB/s link in {clock.Elapsed.TotalSeconds:0.000} s");
    }
}
