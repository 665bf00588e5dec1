using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.Configuration;

namespace BlitzScale.Silo;

/// <summary>
/// Reads a silo's options from, in increasing priority: <c>appsettings.json</c> in the program's folder
/// (optional), environment variables without a prefix (<c>BlitzScale__Host__Gpus=2</c>,
/// <c>BlitzScale__Silo__Redis=…</c>; names are case-insensitive), and the command line (<c>--gpus 2</c> or
/// <c>--BlitzScale:Host:Gpus=2</c>).
/// </summary>
internal static class SiloConfiguration
{
    /// <summary>The options, or every problem found (unknown option, unparsable value, invalid value).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="basePath">Where appsettings.json is looked for; the program's folder when null.</param>
    public static (SiloOptions Silo, GpuHostOptions Host, IReadOnlyList<string> Errors) Load(string[] args, string? basePath = null)
    {
        var silo = new SiloOptions();
        var host = new GpuHostOptions();
        var errors = new List<string>(SiloSwitches.Check(args));
        IConfiguration configuration;
        try
        {
            configuration = Build(args, basePath);
        }
        catch (FormatException e)
        {
            // Only for a command line that Check already rejected; what it found is the better message.
            if (errors.Count == 0) errors.Add(e.Message);
            return (silo, host, errors);
        }
        OptionsBinder.Bind(configuration, SiloOptions.Section, silo, errors);
        OptionsBinder.Bind(configuration, SiloSwitches.HostSection, host, errors);
        if (RedisImpliesRedisClustering(args, configuration)) silo.Clustering = SiloOptions.RedisClustering;
        // Values that did not parse keep their (valid) defaults, so validation adds only problems of its own.
        errors.AddRange(Validate(silo, host));
        return (silo, host, errors);
    }

    /// <summary>Every problem with both option sets, each naming the option (and its command-line alias).</summary>
    public static IReadOnlyList<string> Validate(SiloOptions silo, GpuHostOptions host) =>
    [
        .. SiloOptionsValidator.Validate(silo).Select(e => WithAlias(e, SiloOptions.Section)),
        .. GpuHostOptionsValidator.Validate(host).Select(e => WithAlias(e, SiloSwitches.HostSection)),
    ];

    /// <summary>
    /// What a silo run on its own (not built into another program) needs besides valid options: a configured cluster
    /// secret, since it joins other silo processes that must share it and nothing may default to a guessable one.
    /// </summary>
    public static IReadOnlyList<string> StandaloneErrors(GpuHostOptions host)
    {
        try
        {
            if (ClusterSecrets.Configured(host) is not null) return [];
        }
        catch (ArgumentException e)
        {
            return [e.Message];
        }
        return [$"ClusterSecret: a silo run on its own joins other silos, which must share a cluster secret, and none is configured; {ClusterSecrets.HowToSet}"];
    }

    /// <summary>The layered configuration (also the source of the logging levels).</summary>
    public static IConfiguration Build(string[] args, string? basePath = null) => new ConfigurationBuilder()
        .SetBasePath(basePath ?? AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(SiloSwitches.ExpandRepeatable(args), Mappings())
        .Build();

    /// <summary>
    /// A Redis endpoint on the command line means Redis clustering unless the command line also names the
    /// clustering; one from appsettings.json or the environment does when no layer names the clustering.
    /// </summary>
    private static bool RedisImpliesRedisClustering(string[] args, IConfiguration configuration)
    {
        const string redis = $"{SiloOptions.Section}:Redis", clustering = $"{SiloOptions.Section}:Clustering";
        var commandLine = new ConfigurationBuilder().AddCommandLine(SiloSwitches.ExpandRepeatable(args), Mappings()).Build();
        if (!string.IsNullOrWhiteSpace(commandLine[redis])) return string.IsNullOrEmpty(commandLine[clustering]);
        return !string.IsNullOrWhiteSpace(configuration[redis]) && string.IsNullOrEmpty(configuration[clustering]);
    }

    private static Dictionary<string, string> Mappings() =>
        SiloSwitches.Aliases.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);

    private static string WithAlias(string error, string section)
    {
        int colon = error.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && SiloSwitches.AliasOf($"{section}:{error[..colon]}") is { } alias ? $"{error} ({alias})" : error;
    }
}
