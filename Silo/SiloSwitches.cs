namespace BlitzScale.Silo;

/// <summary>
/// The silo's command line: friendly aliases (<c>--gpus 2</c>) for configuration keys, and a strict check that
/// every argument is one of them or a full key (<c>--BlitzScale:Host:Gpus=2</c>, <c>--Logging:LogLevel:Default=Debug</c>).
/// </summary>
internal static class SiloSwitches
{
    /// <summary>Config section of <see cref="Grains.Hosting.GpuHostOptions"/>.</summary>
    public const string HostSection = "BlitzScale:Host";

    /// <summary>Alias → configuration key.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--host"] = $"{HostSection}:Host",
        ["--gpus"] = $"{HostSection}:Gpus",
        ["--backend"] = $"{HostSection}:Backend",
        ["--cost-profile"] = $"{HostSection}:CostProfile",
        ["--cost-model"] = $"{HostSection}:CostModel",
        ["--time-dilation"] = $"{HostSection}:TimeDilation",
        ["--gpu-memory-gib"] = $"{HostSection}:GpuMemoryGiB",
        ["--nvlink-group"] = $"{HostSection}:NvlinkGroup",
        ["--nic-gbps"] = $"{HostSection}:NicGbps",
        ["--leaf-switch"] = $"{HostSection}:LeafSwitch",
        ["--models-dir"] = $"{HostSection}:ModelsDirectory",
        ["--data-address"] = $"{HostSection}:DataAddress",
        ["--data-port"] = $"{HostSection}:DataPort",
        ["--cluster-secret"] = $"{HostSection}:ClusterSecret",
        ["--cluster-secret-file"] = $"{HostSection}:ClusterSecretFile",
        ["--chunk-mib"] = $"{HostSection}:ChunkMiB",
        ["--host-memory-gib"] = $"{HostSection}:HostMemoryGiB",
        ["--storage-mbps"] = $"{HostSection}:StorageMBps",
        ["--receive-mbps"] = $"{HostSection}:ReceiveMBps",
        ["--host-to-device-mbps"] = $"{HostSection}:HostToDeviceMBps",
        ["--live-move"] = $"{HostSection}:LiveMove",
        ["--complementary-loads"] = $"{HostSection}:ComplementaryLoads",
        ["--activation-share"] = $"{HostSection}:ActivationShare",
        ["--clustering"] = $"{SiloOptions.Section}:Clustering",
        ["--redis"] = $"{SiloOptions.Section}:Redis",
        ["--cluster-id"] = $"{SiloOptions.Section}:ClusterId",
        ["--silo-port"] = $"{SiloOptions.Section}:SiloPort",
        ["--gateway-port"] = $"{SiloOptions.Section}:GatewayPort",
        ["--primary-port"] = $"{SiloOptions.Section}:PrimarySiloPort",
        ["--advertise"] = $"{SiloOptions.Section}:AdvertisedAddress",
        ["--dashboard"] = $"{SiloOptions.Section}:Dashboard",
        ["--dashboard-port"] = $"{SiloOptions.Section}:DashboardPort",
        ["--api"] = $"{SiloOptions.Section}:Api",
        ["--http-port"] = $"{SiloOptions.Section}:HttpPort",
        ["--tls-cert"] = $"{SiloOptions.Section}:TlsCertificate",
        ["--tls-key"] = $"{SiloOptions.Section}:TlsKey",
        ["--tls-ca"] = $"{SiloOptions.Section}:TlsCa",
    };

    /// <summary>Options that may repeat, each occurrence one more element of a list setting.</summary>
    public static IReadOnlyDictionary<string, string> Repeatable { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--api-key"] = $"{SiloOptions.Section}:ApiKeys",
    };

    /// <summary>
    /// The command line with each repeatable option written as its list element (<c>--api-key K --api-key L</c> →
    /// <c>--BlitzScale:Silo:ApiKeys:0=K --BlitzScale:Silo:ApiKeys:1=L</c>): the configuration's command line keeps
    /// only the last of a repeated key.
    /// </summary>
    public static string[] ExpandRepeatable(IReadOnlyList<string> args)
    {
        var expanded = new List<string>(args.Count);
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? arg : arg[..equals];
            if (!Repeatable.TryGetValue(name, out string? key))
            {
                expanded.Add(arg);
                continue;
            }
            string? value = equals >= 0 ? arg[(equals + 1)..] : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            if (value is null) continue; // Check reports the missing value
            int index = counts.GetValueOrDefault(key);
            counts[key] = index + 1;
            expanded.Add($"--{key}:{index}={value}");
        }
        return [.. expanded];
    }

    /// <summary>Full configuration keys the command line may set directly.</summary>
    private static readonly string[] KeyPrefixes = ["--BlitzScale:", "--Logging:", "--Orleans:"];

    /// <summary>The alias of a configuration key (<c>BlitzScale:Host:Gpus</c> → <c>--gpus</c>), or null.</summary>
    public static string? AliasOf(string key) =>
        Aliases.FirstOrDefault(kv => string.Equals(kv.Value, key, StringComparison.OrdinalIgnoreCase)).Key;

    /// <summary>Problems with the shape of the command line: unknown options, missing values, stray words.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<string> args)
    {
        var errors = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                errors.Add($"\"{arg}\": expected an option such as --gpus 2, found a stray argument");
                continue;
            }
            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? arg : arg[..equals];
            if (!Aliases.ContainsKey(name) && !Repeatable.ContainsKey(name) && !KeyPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase) && name.Length > p.Length))
            {
                errors.Add($"{name}: unknown option; expected one of {string.Join(", ", Aliases.Keys.Concat(Repeatable.Keys))} or --BlitzScale:Section:Key=value");
                if (equals < 0 && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) i++;
                continue;
            }
            if (equals >= 0) continue;
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                errors.Add($"{name}: expected a value after it, found {(i + 1 >= args.Count ? "the end of the command line" : args[i + 1])}");
            else
                i++;
        }
        return errors;
    }
}
