using System.Diagnostics;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// One host's emulated receive link: every transfer into the host shares it, so parameters arrive no faster than
/// <paramref name="megabytesPerSecond"/> (10^6 bytes) in all. A single-process grid's stand-in for a shaped link (the testbed
/// shapes real links with tc instead).
/// </summary>
internal sealed class ReceiveLink(double megabytesPerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    // When the link is free again; an idle link earns no credit, so a burst after a pause is paced too.
    private TimeSpan _free;

    /// <summary>Blocks the calling receive loop until the link would have delivered <paramref name="bytes"/> more.</summary>
    public void Deliver(int bytes)
    {
        TimeSpan due;
        lock (_gate)
        {
            var start = _free > _clock.Elapsed ? _free : _clock.Elapsed;
            _free = due = start + TimeSpan.FromSeconds(bytes / (megabytesPerSecond * 1e6));
        }
        var wait = due - _clock.Elapsed;
        // The receive loop is what the link paces: blocking it is the emulation.
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
    }
}
