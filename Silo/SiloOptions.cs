namespace BlitzScale.Silo;

/// <summary>How a silo joins its cluster: clustering, ports, dashboard (config section <c>BlitzScale:Silo</c>).</summary>
public sealed class SiloOptions
{
    /// <summary>Config section.</summary>
    public const string Section = "BlitzScale:Silo";
    /// <summary>Several silos on one machine, found through the primary silo's port.</summary>
    public const string LocalhostClustering = "localhost";
    /// <summary>Membership in Redis, for silos on several hosts.</summary>
    public const string RedisClustering = "redis";
    /// <summary>Default silo-to-silo port.</summary>
    public const int DefaultSiloPort = 11111;
    /// <summary>Default client gateway port.</summary>
    public const int DefaultGatewayPort = 30000;
    /// <summary>Default dashboard port.</summary>
    public const int DefaultDashboardPort = 8080;
    /// <summary>Default cluster and service id.</summary>
    public const string DefaultClusterId = "blitzscale";

    /// <summary><c>localhost</c> or <c>redis</c>.</summary>
    public string Clustering { get; set; } = LocalhostClustering;
    /// <summary>Redis <c>host:port</c> (required for redis clustering).</summary>
    public string? Redis { get; set; }
    /// <summary>Orleans cluster id.</summary>
    public string ClusterId { get; set; } = DefaultClusterId;
    /// <summary>Orleans service id; the cluster id when not set.</summary>
    public string? ServiceId { get; set; }

    /// <summary>The service id in effect.</summary>
    public string EffectiveServiceId => string.IsNullOrWhiteSpace(ServiceId) ? ClusterId : ServiceId;
    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;
    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;
    /// <summary>Localhost clustering: the primary silo's port (a silo whose <see cref="SiloPort"/> equals it is the primary).</summary>
    public int PrimarySiloPort { get; set; } = DefaultSiloPort;
    /// <summary>The address other silos and clients reach this one at.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
    /// <summary>Whether to serve the Orleans dashboard.</summary>
    public bool Dashboard { get; set; } = true;
    /// <summary>Dashboard port (on 127.0.0.1).</summary>
    public int DashboardPort { get; set; } = DefaultDashboardPort;
}
