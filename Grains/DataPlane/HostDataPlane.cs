using System.Net;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.Rdma;
using BlitzScale.Scaling.Planning;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// This silo's end of the parameter data plane: one <see cref="BlobServer"/> that peers on other hosts fetch from, one
/// same-host transport for images in this process, and the client transports that fetch feeds. Images are registered
/// under a source id (a shard key, or <c>"{model}@{host}/memory"</c> for a host copy) while they may be read, and retired
/// before their memory is freed.
/// </summary>
internal sealed partial class HostDataPlane : IAsyncDisposable
{
    private readonly BlobServer _server;
    private readonly SameHostTransport _sameHost = new();
    private readonly TcpBlobTransport _network;
    private readonly RdmaBlobServer? _rdmaServer;
    private readonly RdmaBlobTransport? _rdma;
    private readonly Dictionary<string, int> _sameHostReaders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _drained = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    // The emulated receive link all parameter fetches into this host share (GpuHostOptions.ReceiveMBps); null: unpaced.
    private readonly ReceiveLink? _receiveLink;
    // The emulated PCIe rate of a copy from the host's memory copy into one GPU (GpuHostOptions.HostToDeviceMBps); null: unpaced.
    private readonly double? _hostToDeviceMBps;
    private readonly string _host;

    public HostDataPlane(GpuHostOptions host, BlitzMetrics metrics, ILogger<HostDataPlane> logger)
    {
        var secret = Secret(host, logger);
        _host = host.Host;
        var address = IPAddress.Parse(host.DataAddress ?? IPAddress.Loopback.ToString());
        _server = BlobServer.Start(new IPEndPoint(address, host.DataPort), secret);
        _server.Activations = _inbox;
        _secret = secret;
        // Counted and named: a scan or an attack on the data port shows in the log and on /metrics, and serving goes on.
        DataPlaneWatch.Observe(_server, host.Host, metrics, logger);
        _network = new TcpBlobTransport(secret);
        ChunkBytes = host.ChunkMiB << 20;
        _receiveLink = host.ReceiveMBps is { } rate ? new ReceiveLink(rate) : null;
        _hostToDeviceMBps = host.HostToDeviceMBps;
        _activationShare = host.ActivationShare;
        Address = _server.Address;
        (_rdmaServer, _rdma, RdmaUnavailable) = StartRdma(address, secret);
        RdmaAddress = _rdmaServer?.Address;
        if (_rdmaServer is not null) DataPlaneWatch.Observe(_rdmaServer, host.Host, metrics, logger);
        if (_rdma is not null) LogRdma(logger, host.Host, _rdma.Device, RdmaAddress!);
        else LogNoRdma(logger, host.Host, RdmaUnavailable!);
        LogListening(logger, host.Host, Address);
    }

    /// <summary>Where the RDMA side channel listens; null without RDMA.</summary>
    public string? RdmaAddress { get; }

    /// <summary>Why this host has no RDMA (the probe's reason); null with RDMA.</summary>
    public string? RdmaUnavailable { get; }

    /// <summary>The <c>host:port</c> peers fetch from.</summary>
    public string Address { get; }

    public int ChunkBytes { get; }

    /// <summary>Serves <paramref name="source"/> under <paramref name="sourceId"/> to peers and to this host's other images.</summary>
    public void Register(string sourceId, IBlobSource source)
    {
        _server.Register(sourceId, source);
        _rdmaServer?.Register(sourceId, source);
        _sameHost.Register(sourceId, sourceId, source);
    }

    /// <summary>
    /// Stops serving <paramref name="sourceId"/> and completes once nothing reads its memory any more: network peers are
    /// cut (they see the source lost), same-host copies in progress finish.
    /// </summary>
    public async Task RetireAsync(string sourceId)
    {
        _sameHost.Unregister(sourceId, sourceId);
        await _server.RetireAsync(sourceId).ConfigureAwait(false);
        if (_rdmaServer is not null) await _rdmaServer.RetireAsync(sourceId).ConfigureAwait(false);
        Task drained;
        lock (_gate)
        {
            if (!_sameHostReaders.ContainsKey(sourceId)) return;
            if (!_drained.TryGetValue(sourceId, out var signal))
                _drained[sourceId] = signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = signal.Task;
        }
        await drained.ConfigureAwait(false);
    }

    /// <summary>Fetches one feed's blobs into <paramref name="target"/>, reporting each blob as it lands.</summary>
    public async Task<TransferResult> FetchAsync(LoadFeed feed, IBlobSink target, IProgress<int>? blobReady, CancellationToken cancellationToken)
    {
        // A feed that starts inside its first blob asks from the chunk holding its first byte: the chunks before it have landed.
        var request = new TransferRequest(feed.SourceId, feed.FirstBlob, feed.EndBlob, ChunkBytes, firstChunk: checked((int)(feed.FirstBlobOffset / ChunkBytes)));
        if (_receiveLink is { } link) target = new PacedSink(target, link);
        // Each GPU has its own PCIe link, so each copy from the host's memory gets a link of its own.
        if (feed.Kind == FeedKind.SameHost && _hostToDeviceMBps is { } pcie && feed.Link == nameof(LinkType.HostToDevice))
            target = new PacedSink(target, new ReceiveLink(pcie));
        if (feed.Kind == FeedKind.Network)
            return await _network.TransferAsync(feed.Peer, request, target, blobReady, cancellationToken).ConfigureAwait(false);
        if (feed.Kind == FeedKind.Rdma)
        {
            var rdma = _rdma ?? throw new InvalidOperationException($"feed from {feed.From} is planned over RDMA, but this host has none: {RdmaUnavailable}");
            return await rdma.TransferAsync(feed.Peer, request, target, blobReady, cancellationToken).ConfigureAwait(false);
        }
        if (feed.Kind != FeedKind.SameHost)
            throw new ArgumentException($"feed from {feed.From} is a {feed.Kind} feed, not one the data plane fetches");

        return await SameHostAsync(feed.Peer, request, target, blobReady, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies in-process from the image registered under <paramref name="peer"/>, counted as a reader of it until done.</summary>
    private async Task<TransferResult> SameHostAsync(string peer, TransferRequest request, IBlobSink target, IProgress<int>? blobReady, CancellationToken cancellationToken)
    {
        string sourceId = request.ModelId;
        lock (_gate) _sameHostReaders[sourceId] = _sameHostReaders.GetValueOrDefault(sourceId) + 1;
        try
        {
            return await _sameHost.TransferAsync(peer, request, target, blobReady, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                int left = _sameHostReaders[sourceId] - 1;
                if (left > 0) _sameHostReaders[sourceId] = left;
                else
                {
                    _sameHostReaders.Remove(sourceId);
                    if (_drained.Remove(sourceId, out var signal)) signal.TrySetResult();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_rdmaServer is not null) await _rdmaServer.DisposeAsync().ConfigureAwait(false);
        _rdma?.Dispose();
        await DisposePushersAsync().ConfigureAwait(false);
        DisposeActivations();
    }

    /// <summary>RDMA where the probe finds an active port and the device opens; otherwise the reason, and TCP.</summary>
    private static (RdmaBlobServer?, RdmaBlobTransport?, string?) StartRdma(IPAddress address, byte[] secret)
    {
        var probe = RdmaDevices.Probe();
        if (!probe.Available) return (null, null, probe.Reason);
        RdmaBlobServer? server = null;
        try
        {
            server = RdmaBlobServer.Start(new IPEndPoint(address, 0), secret);
            return (server, new RdmaBlobTransport(secret), null);
        }
        catch (RdmaException e)
        {
            server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return (null, null, e.Message);
        }
    }

    /// <summary>The configured secret; without one, this process's own (only silos of this process can then reach each other).</summary>
    private static byte[] Secret(GpuHostOptions host, ILogger logger)
    {
        if (ClusterSecrets.Configured(host) is { } configured) return configured;
        LogProcessSecret(logger, host.Host);
        return ClusterSecrets.ThisProcess;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data plane of host {Host} listening on {Address} (TCP); in-process copies between its own images")]
    private static partial void LogListening(ILogger logger, string host, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host} has RDMA ({Device}), side channel on {Address}: hosts that also have it fetch over RDMA")]
    private static partial void LogRdma(ILogger logger, string host, string device, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host}: {Reason}; fetching between hosts over TCP")]
    private static partial void LogNoRdma(ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host}: no cluster secret configured; the data plane uses a random secret of this process, so only silos in this process can fetch from it")]
    private static partial void LogProcessSecret(ILogger logger, string host);
}
