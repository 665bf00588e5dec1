using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The same-host transport (two GPUs of one host over NVLink), a chunked, hashed copy inside the process, through every
/// scenario of <see cref="TransportConformance{THarness}"/>; it has no server, so no secret, connection or retiring.
/// </summary>
public sealed class SameHostTransportTests : TransportConformance<SameHostHarness>;

/// <summary>One <see cref="SameHostTransport"/> that is every client, with each served image registered under its own GPU of host h1.</summary>
public sealed class SameHostHarness : TransportHarness
{
    private readonly SameHostTransport _transport = new();
    private int _gpus;

    public SameHostHarness() => _transport.CorruptOnCopy = (blob, offset) => CorruptChunk?.Invoke(blob, offset) == true;

    /// <summary>The transport; copies inside one host prove no secret.</summary>
    public override IBlobTransport Client(byte[]? secret = null) => _transport;

    public override ServedPeer Serve(IBlobSource source)
    {
        string peer = $"h1/gpu{Interlocked.Increment(ref _gpus) - 1}";
        _transport.Register(peer, TransportImages.Model, source);
        return new Peer(peer, () => _transport.Unregister(peer, TransportImages.Model));
    }

    public override string AbsentPeer => "h1/gpu99";

    /// <summary>A registered image: nothing connects to it, so there is no connection to count, close or cut.</summary>
    private sealed class Peer(string address, Func<bool> unregister) : ServedPeer
    {
        public override string Address => address;
        public override int ActiveConnections => 0;
        public override int RefusedConnections => 0;

        public override Task RetireAsync() => throw new NotSupportedException("a same-host copy has no connection to cut");

        public override Task WhenAllConnectionsClosed() => Task.CompletedTask;

        public override ValueTask DisposeAsync()
        {
            unregister();
            return ValueTask.CompletedTask;
        }
    }
}
