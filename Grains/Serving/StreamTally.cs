using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

// One open stream of a shard, counted where it meets the runtime: the updates handed out, and since when the last one has
// waited for the caller's next ask. The runtime asks for the next update only when its caller does (or right away, within
// a batch), so an update handed out and never followed by an ask means the caller's ask was lost on its way: in bench chaos
// a caller's ask sent through a gateway that died just then left the shard waiting and the caller waiting for it, for 30 s.
internal sealed class StreamTally(TimeProvider time)
{
    private readonly Lock _gate = new();
    private int _handed;
    // When the last update was handed out with no ask since; null while the stream has been asked for its next update.
    private long? _unaskedSince;

    // The stream hands out an update; the caller's next ask has not come yet.
    public void HandedOut()
    {
        lock (_gate)
        {
            _handed++;
            _unaskedSince = time.GetTimestamp();
        }
    }

    // The caller asked for the next update.
    public void Asked()
    {
        lock (_gate) _unaskedSince = null;
    }

    public StreamPosition Position
    {
        get
        {
            lock (_gate)
                return new StreamPosition(_handed, _unaskedSince is { } since ? time.GetElapsedTime(since).TotalSeconds : 0);
        }
    }
}
