namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// One host's emulated receive link: every transfer into the host shares it, so parameters arrive no faster than
/// the link's rate in all. A single-process grid's stand-in for a shaped link (the testbed
/// shapes real links with tc instead), and the testbed's stand-in for a GPU's PCIe link.
/// </summary>
internal sealed class ReceiveLink
{
    private readonly double _megabytesPerSecond;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly Lock _gate = new();
    // When the link is free again, from _origin; an idle link earns no credit, so a burst after a pause is paced too.
    private TimeSpan _free;

    /// <param name="megabytesPerSecond">The link's rate, 10^6 bytes a second.</param>
    /// <param name="time">The link's clock; the system's when null.</param>
    public ReceiveLink(double megabytesPerSecond, TimeProvider? time = null)
    {
        _megabytesPerSecond = megabytesPerSecond;
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
    }

    /// <summary>Now, on the link's clock (what <see cref="Reserve"/> takes as a chunk's start).</summary>
    public TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>
    /// Books <paramref name="bytes"/> on the link for a chunk whose transfer began at <paramref name="started"/> (the link's
    /// clock; null: now) and returns how long its receive loop still waits for them. The link carries the chunk from its
    /// start or from when the chunks booked before it are through, whichever is later: the time the emulation spends copying
    /// and hashing a chunk is time the link was delivering it, as a DMA engine copies while the bytes cross. Counted after
    /// the copy instead, a 502 MB load from the host's memory at 554 MB/s took 1.28 s against the link's 0.91 s.
    /// </summary>
    public TimeSpan Reserve(int bytes, TimeSpan? started = null)
    {
        var now = Now;
        lock (_gate)
        {
            var from = started is { } s && s < now ? s : now;
            var start = _free > from ? _free : from;
            _free = start + TimeSpan.FromSeconds(bytes / (_megabytesPerSecond * 1e6));
            var wait = _free - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
    }

    /// <summary>Blocks the calling receive loop until the link would have delivered <paramref name="bytes"/> more (<see cref="Reserve"/>).</summary>
    public void Deliver(int bytes, TimeSpan? started = null)
    {
        var wait = Reserve(bytes, started);
        // The receive loop is what the link paces: blocking it is the emulation.
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
    }
}
