using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// Activation hand-offs: hidden states published as a one-blob image under their own source id, fetched by the
/// partner with the transports that move parameters, and retired once read. Grains pass only the
/// <see cref="ActivationRef"/>.
/// </summary>
internal sealed partial class HostDataPlane
{
    /// <summary>How long a split step waits for the hidden states pushed to it once its call has arrived.</summary>
    public static readonly TimeSpan PushedActivationTimeout = TimeSpan.FromSeconds(10);

    // The published states' images, freed when retired (after every reader has left) or when the plane is disposed.
    private readonly Dictionary<string, ParameterImage> _activations = new(StringComparer.Ordinal);
    // States pushed to this host, until their step takes them; and one open connection to each host pushed to.
    private readonly ActivationInbox _inbox = new();
    private readonly Dictionary<string, ActivationPusher> _pushers = new(StringComparer.Ordinal);
    private readonly byte[] _secret;
    // The share of each row that travels (GpuHostOptions.ActivationShare).
    private readonly double _activationShare = 1;

    /// <summary>
    /// Sets how much of each row of <paramref name="states"/> travels: the host's activation share of its width, at least two
    /// values (the timed backend's steps read a row's first two); every value at a share of 1. Publishing and pushing do it;
    /// a caller that sizes the frame first calls it before.
    /// </summary>
    public HiddenStates ShapeForWire(HiddenStates states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (_activationShare < 1) states.SentWidth = SentWidth(states.Width, _activationShare);
        return states;
    }

    // The reference's SentWidth: 0 when every value of a row travels.
    private static int SentOf(HiddenStates states) => states.SentWidth < states.Width ? states.SentWidth : 0;

    /// <summary>Values of a row of <paramref name="width"/> that travel at <paramref name="share"/>: at least two (or the whole row when narrower).</summary>
    internal static int SentWidth(int width, double share) => Math.Min(width, Math.Max(2, (int)Math.Ceiling(width * share)));

    /// <summary>
    /// Test hook: told blob 0 when an activation fetched by this plane has landed, on the receiving loop, before the
    /// transfer ends (the source still counts it as a reader).
    /// </summary>
    internal IProgress<int>? ActivationLanded { get; set; }

    /// <summary>
    /// Serializes <paramref name="states"/> once into a one-blob image and serves it under <paramref name="sourceId"/>
    /// on every transport (TCP, RDMA where there is one, same host) until <see cref="RetireActivationAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">States are already published under <paramref name="sourceId"/>.</exception>
    public ActivationRef PublishActivation(string sourceId, HiddenStates states)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        ArgumentNullException.ThrowIfNull(states);
        ShapeForWire(states);
        var image = ParameterImage.Allocate(SingleBlobImage.Layout(states.SerializedLength));
        try
        {
            states.WriteTo(image.BlobBytes(0));
            image.MarkLoaded(0);
            lock (_gate)
            {
                if (!_activations.TryAdd(sourceId, image))
                    throw new InvalidOperationException($"activation \"{sourceId}\" is already published on host {_host}; retire it first");
            }
        }
        catch
        {
            image.Dispose();
            throw;
        }
        Register(sourceId, new ImageSource(image));
        return new ActivationRef(sourceId, _host, Address, states.Tokens, states.Width) { SentWidth = SentOf(states) };
    }

    /// <summary>
    /// The states <paramref name="reference"/> names: taken from this host's inbox when they were pushed (waiting up to
    /// <see cref="PushedActivationTimeout"/> for them to arrive); otherwise fetched, in-process when the reference names
    /// this host, else over TCP from its data address (authenticated with the cluster secret, every chunk hash-checked).
    /// </summary>
    /// <exception cref="SourceLostException">The states are not (or no longer) served on this host, the peer went away, or pushed states did not arrive in time.</exception>
    /// <exception cref="PeerRefusedException">The peer refused this host's cluster secret.</exception>
    /// <exception cref="TransferException">The peer does not serve them (retired, never published) or their size differs.</exception>
    /// <exception cref="FormatException">The bytes are not states of <c>Tokens × Width</c>.</exception>
    public async Task<HiddenStates> FetchActivationAsync(ActivationRef reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reference.Tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reference.Width);
        if (reference.Bytes > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(reference), $"activation \"{reference.SourceId}\" of {reference.Bytes} bytes is over 2 GiB");

        if (reference.Pushed) return Check(reference, HiddenStates.FromBytes(await TakePushedAsync(reference, cancellationToken).ConfigureAwait(false)));

        using var image = ParameterImage.Allocate(SingleBlobImage.Layout(reference.Bytes));
        var target = new ImageSink(image);
        var request = new TransferRequest(reference.SourceId, 0, 1, ChunkBytes);
        if (reference.Host == _host)
            await SameHostAsync(reference.SourceId, request, target, ActivationLanded, cancellationToken).ConfigureAwait(false);
        else
            await _network.TransferAsync(reference.DataAddress, request, target, ActivationLanded, cancellationToken).ConfigureAwait(false);

        return Check(reference, HiddenStates.FromBytes(image.BlobBytes(0)));
    }

    private static HiddenStates Check(ActivationRef reference, HiddenStates states)
    {
        if (states.Tokens != reference.Tokens || states.Width != reference.Width)
        {
            throw new FormatException(
                $"activation \"{reference.SourceId}\" from host {reference.Host} holds {states.Tokens} tokens × {states.Width} floats; " +
                $"its reference says {reference.Tokens} tokens × {reference.Width} floats");
        }
        return states;
    }

    /// <summary>
    /// Pushes <paramref name="states"/> under <paramref name="sourceId"/> to the data plane at <paramref name="dataAddress"/>
    /// (host <paramref name="host"/>) over the one connection this host keeps open to it, or into this host's own inbox when
    /// <paramref name="host"/> is this one. The consumer takes them with <see cref="FetchActivationAsync"/> and the reference
    /// returned (<see cref="ActivationRef.Pushed"/>). Returns once the frame is handed to the socket.
    /// </summary>
    /// <exception cref="TransferException">The peer could not be reached, refused this host, or the connection broke.</exception>
    public async Task<ActivationRef> PushActivationAsync(string host, string dataAddress, string sourceId, HiddenStates states, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        ArgumentNullException.ThrowIfNull(states);
        ShapeForWire(states);
        var bytes = new byte[states.SerializedLength];
        states.WriteTo(bytes);
        var reference = new ActivationRef(sourceId, _host, Address, states.Tokens, states.Width) { Pushed = true, SentWidth = SentOf(states) };
        if (host == _host)
        {
            if (_inbox.Deliver(sourceId, bytes) is { } refused) throw new InvalidOperationException(refused);
            return reference;
        }
        await Pusher(dataAddress).PushAsync(sourceId, bytes, cancellationToken).ConfigureAwait(false);
        return reference;
    }

    /// <summary>
    /// Opens the connection pushes to <paramref name="dataAddress"/> (host <paramref name="host"/>) go over, if none is open;
    /// nothing for this host. A live pair does it when it forms, so its first step does not wait for the handshake.
    /// </summary>
    /// <exception cref="TransferException">The peer could not be reached or refused this host.</exception>
    public async Task ConnectActivationsAsync(string host, string dataAddress, CancellationToken cancellationToken)
    {
        if (host == _host) return;
        await Pusher(dataAddress).ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    private ActivationPusher Pusher(string dataAddress)
    {
        lock (_gate)
        {
            if (!_pushers.TryGetValue(dataAddress, out var pusher)) _pushers[dataAddress] = pusher = new ActivationPusher(dataAddress, _secret);
            return pusher;
        }
    }

    /// <summary>Connections this host has opened to push states to others (test hook: one per peer while they work).</summary>
    internal int ActivationConnections
    {
        get
        {
            lock (_gate) return _pushers.Values.Sum(p => p.ConnectionsOpened);
        }
    }

    // The states pushed under the reference's id, once they have arrived (the call that names them may come first).
    private async Task<byte[]> TakePushedAsync(ActivationRef reference, CancellationToken cancellationToken)
    {
        try
        {
            return await _inbox.TakeAsync(reference.SourceId, PushedActivationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new SourceLostException(reference.DataAddress, reference.SourceId, 0, 1,
                $"the hidden states host {reference.Host} pushed did not arrive within {PushedActivationTimeout.TotalSeconds:0} s", e);
        }
    }

    private async Task DisposePushersAsync()
    {
        List<ActivationPusher> pushers;
        lock (_gate)
        {
            pushers = [.. _pushers.Values];
            _pushers.Clear();
        }
        foreach (var pusher in pushers) await pusher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stops serving the states published under <paramref name="sourceId"/> and frees them once nothing reads them: network
    /// readers are cut, same-host copies in progress finish first. Does nothing for an id not published here.
    /// </summary>
    public async Task RetireActivationAsync(string sourceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        lock (_gate)
        {
            if (!_activations.ContainsKey(sourceId)) return;
        }
        await RetireAsync(sourceId).ConfigureAwait(false);
        ParameterImage? image;
        lock (_gate) _activations.Remove(sourceId, out image);
        image?.Dispose();
    }

    /// <summary>Frees what is still published; called once the servers have stopped and no peer reads any more.</summary>
    private void DisposeActivations()
    {
        List<ParameterImage> left;
        lock (_gate)
        {
            left = [.. _activations.Values];
            _activations.Clear();
        }
        foreach (var image in left) image.Dispose();
    }
}
