using System.Net;
using StackExchange.Redis;

namespace BlitzScale.Silo;

/// <summary>Checks <see cref="SiloOptions"/>, naming each option, what was expected and what was found.</summary>
internal static class SiloOptionsValidator
{
    public static IReadOnlyList<string> Validate(SiloOptions o)
    {
        var errors = new List<string>();
        if (o.Clustering is not (SiloOptions.LocalhostClustering or SiloOptions.RedisClustering))
            errors.Add($"Clustering: expected \"{SiloOptions.LocalhostClustering}\" or \"{SiloOptions.RedisClustering}\", found \"{o.Clustering}\"");
        if (o.Clustering == SiloOptions.RedisClustering && string.IsNullOrWhiteSpace(o.Redis))
            errors.Add("Redis: redis clustering needs the Redis endpoint (host:port), found none");
        else if (!string.IsNullOrWhiteSpace(o.Redis) && !IsRedisEndpoint(o.Redis))
            errors.Add($"Redis: expected host:port, found \"{o.Redis}\"");
        if (string.IsNullOrWhiteSpace(o.ClusterId))
            errors.Add("ClusterId: expected a name, found an empty one");
        Port(errors, nameof(o.SiloPort), o.SiloPort);
        Port(errors, nameof(o.GatewayPort), o.GatewayPort);
        Port(errors, nameof(o.PrimarySiloPort), o.PrimarySiloPort);
        if (o.SiloPort == o.GatewayPort)
            errors.Add($"GatewayPort: expected a port other than SiloPort, found {o.GatewayPort} for both");
        if (!IPAddress.TryParse(o.AdvertisedAddress, out _))
            errors.Add($"AdvertisedAddress: expected an IP address, found \"{o.AdvertisedAddress}\"");
        if (o.Dashboard)
        {
            Port(errors, nameof(o.DashboardPort), o.DashboardPort);
            if (o.DashboardPort == o.SiloPort || o.DashboardPort == o.GatewayPort)
                errors.Add($"DashboardPort: expected a port other than SiloPort and GatewayPort, found {o.DashboardPort}");
        }
        if (o.Api)
        {
            Port(errors, nameof(o.HttpPort), o.HttpPort);
            if (o.HttpPort == o.SiloPort || o.HttpPort == o.GatewayPort || (o.Dashboard && o.HttpPort == o.DashboardPort))
                errors.Add($"HttpPort: expected a port other than SiloPort, GatewayPort and DashboardPort, found {o.HttpPort}");
        }
        for (int i = 0; i < o.ApiKeys.Count; i++)
        {
            string key = o.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key) || key.Any(char.IsWhiteSpace))
                errors.Add($"ApiKeys[{i}]: expected a key without whitespace, found \"{key}\"");
        }
        if (!o.Tls && !string.IsNullOrWhiteSpace(o.TlsKey))
            errors.Add($"TlsKey: expected only with a TLS certificate (TlsCertificate), found the key \"{o.TlsKey}\" and no certificate");
        if (!o.Tls && !string.IsNullOrWhiteSpace(o.TlsCa))
            errors.Add($"TlsCa: expected only with a TLS certificate (TlsCertificate), found the CA \"{o.TlsCa}\" and no certificate");
        return errors;
    }

    private static void Port(List<string> errors, string name, int port)
    {
        if (port is < 1 or > 65535) errors.Add($"{name}: expected a port from 1 to 65535, found {port}");
    }

    /// <summary>A StackExchange.Redis configuration string whose every endpoint has a valid host and an explicit port.</summary>
    private static bool IsRedisEndpoint(string redis)
    {
        try
        {
            var endpoints = ConfigurationOptions.Parse(redis).EndPoints;
            return endpoints.Count > 0 && endpoints.All(e => e switch
            {
                IPEndPoint ip => ip.Port > 0,
                DnsEndPoint dns => dns.Port > 0 && Uri.CheckHostName(dns.Host) == UriHostNameType.Dns,
                _ => false,
            });
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
