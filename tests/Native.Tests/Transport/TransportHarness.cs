using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// One transport as <see cref="TransportConformance{THarness}"/> drives it: peers that serve an image, clients that
/// fetch from them, a hook that corrupts chunks in flight, a peer nobody serves at, and what the transport must have
/// released once its transfers ended. One harness per test; disposing it removes what it made (not the peers, which
/// the test stops before freeing the images they read).
/// </summary>
public abstract class TransportHarness : IDisposable
{
    /// <summary>
    /// Called for every chunk as it travels, with its blob and offset in the blob; true corrupts that copy of it, as a
    /// faulty link would. Applies to every peer and client of this harness, set before or after they were made.
    /// </summary>
    public Func<int, long, bool>? CorruptChunk { get; set; }

    /// <summary>A client that proves it holds <paramref name="secret"/> (by default the cluster's).</summary>
    public abstract IBlobTransport Client(byte[]? secret = null);

    /// <summary>Starts a peer that serves <paramref name="source"/> as <see cref="TransportImages.Model"/>.</summary>
    public abstract ServedPeer Serve(IBlobSource source);

    /// <summary>A peer string in this transport's form at which nothing serves.</summary>
    public abstract string AbsentPeer { get; }

    /// <summary>
    /// Called once every transfer of the test has ended and every connection its peers had has closed: nothing of
    /// those transfers is left (rings, registered regions, queue pairs), only what running peers hold while idle.
    /// </summary>
    public virtual void AssertNothingLeftBehind()
    {
    }

    public virtual void Dispose()
    {
    }
}

/// <summary>A peer serving one image; disposing it stops it, cutting its transfers (their clients see the source lost).</summary>
public abstract class ServedPeer : IAsyncDisposable
{
    /// <summary>What clients pass as the peer.</summary>
    public abstract string Address { get; }

    /// <summary>Connections being served.</summary>
    public abstract int ActiveConnections { get; }

    /// <summary>Connections refused for not proving the cluster secret.</summary>
    public abstract int RefusedConnections { get; }

    /// <summary>Stops serving the model, cuts its transfers and completes once nothing reads its image.</summary>
    public abstract Task RetireAsync();

    /// <summary>Completes the next time a connection closes and leaves none open; call it before starting the transfer.</summary>
    public abstract Task WhenAllConnectionsClosed();

    public abstract ValueTask DisposeAsync();
}

/// <summary>A peer that is a blob server on a socket (TCP, shared memory, RDMA's side channel), all of which share <see cref="ServerCore"/>.</summary>
internal sealed class ServerPeer(string address, ServerCore core, Func<string, Task> retire, Func<ValueTask> stop) : ServedPeer
{
    public override string Address => address;
    public override int ActiveConnections => core.ActiveConnections;
    public override int RefusedConnections => core.RefusedConnections;

    public override Task RetireAsync() => retire(Model);

    public override Task WhenAllConnectionsClosed()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        core.ConnectionClosed += () =>
        {
            if (core.ActiveConnections == 0) idle.TrySetResult();
        };
        return idle.Task;
    }

    public override ValueTask DisposeAsync() => stop();
}
