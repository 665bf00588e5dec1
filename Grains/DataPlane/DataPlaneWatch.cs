using BlitzScale.Grains.Telemetry;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// What a silo does with the peers any of its data-plane servers drop (TCP, the RDMA side channel, shared memory, CUDA
/// IPC): each is counted on <c>blitzscale_data_plane_rejected_total{host, reason}</c> and logged as a warning naming
/// the peer and what it did; a connection that failed unexpectedly is logged as an error. A scan or an attack on any
/// data-plane endpoint shows in the log and on /metrics, and serving goes on.
/// </summary>
internal static partial class DataPlaneWatch
{
    /// <summary>Reports <paramref name="server"/>'s rejections and faults for <paramref name="host"/> from now on.</summary>
    public static void Observe(DataPlaneServer server, string host, BlitzMetrics metrics, ILogger logger)
    {
        server.PeerRejected += rejection =>
        {
            bool refused = rejection.Kind == PeerRejectionKind.Refused;
            metrics.Grid.DataPlaneRejected(host, refused);
            if (refused) LogRefused(logger, host, rejection.Peer, rejection.Reason);
            else LogCut(logger, host, rejection.Peer, rejection.Reason);
        };
        server.ConnectionFaulted += error => LogFaulted(logger, host, server.Address, error);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data plane of host {Host} refused {Peer}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string host, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data plane of host {Host} cut {Peer}, which proved the cluster secret: {Reason}")]
    private static partial void LogCut(ILogger logger, string host, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Data plane of host {Host} ({Address}): a connection failed unexpectedly; it was closed and the others are served")]
    private static partial void LogFaulted(ILogger logger, string host, string address, Exception error);
}
