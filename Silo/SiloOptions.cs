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
    /// <summary>Default clustering.</summary>
    public const string DefaultClustering = LocalhostClustering;
    /// <summary>Default cluster id (and, through <see cref="EffectiveServiceId"/>, service id).</summary>
    public const string DefaultClusterId = "blitzscale";
    /// <summary>Default silo-to-silo port.</summary>
    public const int DefaultSiloPort = 11111;
    /// <summary>Default client gateway port.</summary>
    public const int DefaultGatewayPort = 30000;
    /// <summary>Default port of the localhost-clustering primary silo.</summary>
    public const int DefaultPrimarySiloPort = DefaultSiloPort;
    /// <summary>Default advertised address.</summary>
    public const string DefaultAdvertisedAddress = "127.0.0.1";
    /// <summary>Whether the dashboard is on by default.</summary>
    public const bool DefaultDashboard = true;
    /// <summary>Default dashboard port.</summary>
    public const int DefaultDashboardPort = 8080;
    /// <summary>Whether the OpenAI-compatible HTTP API is on by default.</summary>
    public const bool DefaultApi = true;
    /// <summary>Default port of the OpenAI-compatible HTTP API (vLLM's).</summary>
    public const int DefaultHttpPort = 8000;

    /// <summary><c>localhost</c> or <c>redis</c>.</summary>
    public string Clustering { get; set; } = DefaultClustering;
    /// <summary>Redis <c>host:port</c> (required for redis clustering).</summary>
    public string? Redis { get; set; }
    /// <summary>Orleans cluster id.</summary>
    public string ClusterId { get; set; } = DefaultClusterId;
    /// <summary>Orleans service id; the cluster id when not set (clients of <c>blitz --cluster-id X</c> use X for both).</summary>
    public string? ServiceId { get; set; }
    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;
    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;
    /// <summary>Localhost clustering: the primary silo's port (a silo whose <see cref="SiloPort"/> equals it is the primary).</summary>
    public int PrimarySiloPort { get; set; } = DefaultPrimarySiloPort;
    /// <summary>Redis clustering: the address other silos and clients reach this one at (on a testbed, the namespace's own IP).</summary>
    public string AdvertisedAddress { get; set; } = DefaultAdvertisedAddress;
    /// <summary>Whether to serve the Orleans dashboard.</summary>
    public bool Dashboard { get; set; } = DefaultDashboard;
    /// <summary>Dashboard port (on 127.0.0.1).</summary>
    public int DashboardPort { get; set; } = DefaultDashboardPort;

    /// <summary>Whether to serve the OpenAI-compatible HTTP API (its own web host, on <see cref="HttpPort"/>).</summary>
    public bool Api { get; set; } = DefaultApi;
    /// <summary>The HTTP API's port: on every interface when <see cref="ApiKeys"/> are set, on 127.0.0.1 only when none is.</summary>
    public int HttpPort { get; set; } = DefaultHttpPort;
    /// <summary>Keys a request to the HTTP API must present as <c>Authorization: Bearer KEY</c>; none means loopback only.</summary>
    public IReadOnlyList<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// This silo's TLS certificate (PFX, or PEM with its key or beside <see cref="TlsKey"/>); set, it turns TLS on for
    /// silo-to-silo and client-to-gateway traffic (both sides present and check a certificate) and for the HTTP API
    /// (HTTPS). Every silo and client of the cluster must then use TLS. Off when not set. A password comes from the
    /// environment variable <c>BLITZSCALE_TLS_PASSWORD</c>.
    /// </summary>
    public string? TlsCertificate { get; set; }
    /// <summary>The PEM private key of <see cref="TlsCertificate"/>, when it is in a file of its own.</summary>
    public string? TlsKey { get; set; }
    /// <summary>The cluster CA's certificate: peers must present a certificate it signed. Not set: peers must present <see cref="TlsCertificate"/> itself.</summary>
    public string? TlsCa { get; set; }

    /// <summary>Whether TLS is on (<see cref="TlsCertificate"/> is set).</summary>
    public bool Tls => !string.IsNullOrWhiteSpace(TlsCertificate);

    /// <summary>The service id in effect: <see cref="ServiceId"/>, else <see cref="ClusterId"/>.</summary>
    public string EffectiveServiceId => string.IsNullOrWhiteSpace(ServiceId) ? ClusterId : ServiceId;

    /// <summary>The dashboard's URL, or null when it is off.</summary>
    public string? DashboardUrl => Dashboard ? $"http://127.0.0.1:{DashboardPort}/" : null;

    /// <summary>
    /// Where the HTTP API listens (<c>http://0.0.0.0:port</c> with keys, loopback without; <c>https</c> with TLS), or null
    /// when it is off.
    /// </summary>
    public string? ApiListenUrl => Api ? $"{(Tls ? "https" : "http")}://{(ApiKeys.Count > 0 ? "0.0.0.0" : "127.0.0.1")}:{HttpPort}" : null;
}
