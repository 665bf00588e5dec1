using System.Net;

namespace BlitzScale.Silo;

/// <summary>Checks <see cref="SiloOptions"/>, naming each option and what was wrong.</summary>
internal static class SiloOptionsValidator
{
    public static IReadOnlyList<string> Validate(SiloOptions o)
    {
        var errors = new List<string>();
        if (o.Clustering is not (SiloOptions.LocalhostClustering or SiloOptions.RedisClustering))
            errors.Add($"Clustering: expected \"{SiloOptions.LocalhostClustering}\" or \"{SiloOptions.RedisClustering}\", found \"{o.Clustering}\"");
        if (o.Clustering == SiloOptions.RedisClustering && string.IsNullOrWhiteSpace(o.Redis))
            errors.Add("Redis: redis clustering needs the Redis endpoint (--redis host:port)");
        Port(errors, nameof(o.SiloPort), o.SiloPort);
        Port(errors, nameof(o.GatewayPort), o.GatewayPort);
        Port(errors, nameof(o.PrimarySiloPort), o.PrimarySiloPort);
        if (o.Dashboard) Port(errors, nameof(o.DashboardPort), o.DashboardPort);
        if (o.SiloPort == o.GatewayPort)
            errors.Add($"GatewayPort: must differ from SiloPort, both are {o.SiloPort}");
        if (o.Dashboard && (o.DashboardPort == o.SiloPort || o.DashboardPort == o.GatewayPort))
            errors.Add($"DashboardPort: {o.DashboardPort} is already the silo or gateway port");
        if (!IPAddress.TryParse(o.AdvertisedAddress, out _))
            errors.Add($"AdvertisedAddress: expected an IP address, found \"{o.AdvertisedAddress}\"");
        if (string.IsNullOrWhiteSpace(o.ClusterId))
            errors.Add("ClusterId: expected a name, found an empty one");
        return errors;
    }

    private static void Port(List<string> errors, string name, int port)
    {
        if (port is < 1 or > 65535) errors.Add($"{name}: expected a port from 1 to 65535, found {port}");
    }
}
