using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.Configuration;

namespace BlitzScale.Silo;

/// <summary>
/// Reads a silo's options from, in increasing priority: <c>appsettings.json</c> beside the program,
/// environment variables (<c>BlitzScale__Host__Gpus=2</c>, <c>BlitzScale__Silo__Redis=…</c>), and the
/// command line (<c>--gpus 2</c> or <c>--BlitzScale:Host:Gpus=2</c>).
/// </summary>
internal static class SiloConfiguration
{
    /// <summary>Config section of <see cref="GpuHostOptions"/>.</summary>
    public const string HostSection = "BlitzScale:Host";

    /// <summary>Friendly command-line names.</summary>
    public static IReadOnlyDictionary<string, string> Switches { get; } = new Dictionary<string, string>
    {
        ["--host"] = $"{HostSection}:Host",
        ["--gpus"] = $"{HostSection}:Gpus",
        ["--backend"] = $"{HostSection}:Backend",
        ["--gpu-memory-gib"] = $"{HostSection}:GpuMemoryGiB",
        ["--nvlink-group"] = $"{HostSection}:NvlinkGroup",
        ["--nic-gbps"] = $"{HostSection}:NicGbps",
        ["--leaf-switch"] = $"{HostSection}:LeafSwitch",
        ["--models-dir"] = $"{HostSection}:ModelsDirectory",
        ["--clustering"] = $"{SiloOptions.Section}:Clustering",
        ["--redis"] = $"{SiloOptions.Section}:Redis",
        ["--cluster-id"] = $"{SiloOptions.Section}:ClusterId",
        ["--silo-port"] = $"{SiloOptions.Section}:SiloPort",
        ["--gateway-port"] = $"{SiloOptions.Section}:GatewayPort",
        ["--primary-port"] = $"{SiloOptions.Section}:PrimarySiloPort",
        ["--advertise"] = $"{SiloOptions.Section}:AdvertisedAddress",
        ["--dashboard"] = $"{SiloOptions.Section}:Dashboard",
        ["--dashboard-port"] = $"{SiloOptions.Section}:DashboardPort",
    };

    /// <summary>The options, or every problem found (unknown switch, unparsable value, invalid value).</summary>
    public static (SiloOptions Silo, GpuHostOptions Host, IReadOnlyList<string> Errors) Load(string[] args, string? basePath = null)
    {
        var errors = new List<string>();
        foreach (string arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
        {
            string name = arg.Split('=', 2)[0];
            if (!Switches.ContainsKey(name) && !name.StartsWith("--BlitzScale:", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("--Logging:", StringComparison.OrdinalIgnoreCase))
                errors.Add($"{name}: unknown option (known: {string.Join(", ", Switches.Keys)})");
        }
        var silo = new SiloOptions();
        var host = new GpuHostOptions();
        if (errors.Count > 0) return (silo, host, errors);

        var config = Build(args, basePath);
        try
        {
            config.GetSection(SiloOptions.Section).Bind(silo);
            config.GetSection(HostSection).Bind(host);
        }
        catch (InvalidOperationException e)
        {
            // Binding fails on values that do not parse ("--gpus two"); its message names the key and the value.
            errors.Add(e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message);
            return (silo, host, errors);
        }
        // Naming a Redis endpoint means Redis clustering unless the clustering was set explicitly.
        if (silo.Redis is not null && config[$"{SiloOptions.Section}:Clustering"] is null) silo.Clustering = SiloOptions.RedisClustering;
        errors.AddRange(SiloOptionsValidator.Validate(silo));
        errors.AddRange(GpuHostOptionsValidator.Validate(host));
        return (silo, host, errors);
    }

    /// <summary>The layered configuration (also used for logging levels).</summary>
    public static IConfiguration Build(string[] args, string? basePath = null) => new ConfigurationBuilder()
        .SetBasePath(basePath ?? AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args, Switches.ToDictionary(kv => kv.Key, kv => kv.Value))
        .Build();
}
