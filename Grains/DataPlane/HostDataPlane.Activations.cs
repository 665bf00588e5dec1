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
    // The published states' images, freed when retired (after every reader has left) or when the plane is disposed.
    private readonly Dictionary<string, ParameterImage> _activations = new(StringComparer.Ordinal);

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
        return new ActivationRef(sourceId, _host, Address, states.Tokens, states.Width);
    }

    /// <summary>
    /// Fetches published states: in-process when <paramref name="reference"/> names this host, otherwise over TCP from its
    /// data address (authenticated with the cluster secret, every chunk hash-checked).
    /// </summary>
    /// <exception cref="SourceLostException">The states are not (or no longer) served on this host, or the peer went away.</exception>
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

        using var image = ParameterImage.Allocate(SingleBlobImage.Layout(reference.Bytes));
        var target = new ImageSink(image);
        var request = new TransferRequest(reference.SourceId, 0, 1, ChunkBytes);
        if (reference.Host == _host)
            await SameHostAsync(reference.SourceId, request, target, ActivationLanded, cancellationToken).ConfigureAwait(false);
        else
            await _network.TransferAsync(reference.DataAddress, request, target, ActivationLanded, cancellationToken).ConfigureAwait(false);

        var states = HiddenStates.FromBytes(image.BlobBytes(0));
        if (states.Tokens != reference.Tokens || states.Width != reference.Width)
        {
            throw new FormatException(
                $"activation \"{reference.SourceId}\" from host {reference.Host} holds {states.Tokens} tokens × {states.Width} floats; " +
                $"its reference says {reference.Tokens} tokens × {reference.Width} floats");
        }
        return states;
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
