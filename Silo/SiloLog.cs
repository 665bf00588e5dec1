using Microsoft.Extensions.Logging;

namespace BlitzScale.Silo;

/// <summary>The silo program's log lines.</summary>
internal static partial class SiloLog
{
    /// <summary>The category of the silo program's own lines.</summary>
    public const string Category = "BlitzScale.Silo";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "BlitzScale silo for host {Host}: {Gpus} GPU(s), backend {Backend}, {Clustering} clustering, silo port {SiloPort}, gateway port {GatewayPort}, dashboard {Dashboard}")]
    public static partial void Started(ILogger logger, string host, int gpus, string backend, string clustering, int siloPort, int gatewayPort, string dashboard);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "BlitzScale silo for host {Host} stopped")]
    public static partial void Stopped(ILogger logger, string host);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "TLS on for silo, gateway and HTTP API connections: this silo is {Subject}; peers and clients must present {Trusted}")]
    public static partial void TlsOn(ILogger logger, string subject, string trusted);
}
