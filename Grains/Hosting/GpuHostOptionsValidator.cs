using BlitzScale.Native.Compute.Timed;

namespace BlitzScale.Grains.Hosting;

/// <summary>Checks <see cref="GpuHostOptions"/> at start-up, naming the option and what was wrong.</summary>
public static class GpuHostOptionsValidator
{
    /// <summary>The problems, one line each; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(GpuHostOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.Host) || o.Host.Contains('/'))
            errors.Add($"Host: expected a non-empty name without '/', found \"{o.Host}\"");
        if (o.Gpus is < 1 or > 64)
            errors.Add($"Gpus: expected 1 to 64, found {o.Gpus}");
        if (!Scaling.Live.SplitMoves.TryParse(o.LiveMove, out _)) errors.Add(Scaling.Live.SplitMoves.Refusal("LiveMove", o.LiveMove));
        if (!GpuHostOptions.Backends.Contains(o.Backend))
            errors.Add($"Backend: expected one of {string.Join(", ", GpuHostOptions.Backends)}, found \"{o.Backend}\"");
        if (o.Backend == GpuHostOptions.TimedBackend && TimedBackendError(o) is { } timed)
            errors.Add(timed);
        if (!GpuHostOptions.IsActivationShare(o.ActivationShare))
            errors.Add($"ActivationShare: expected a share in (0, 1], found {o.ActivationShare}");
        else if (o.ActivationShare < 1 && o.Backend != GpuHostOptions.TimedBackend)
            errors.Add($"ActivationShare: below 1 only with the timed backend, whose steps read a row's first two values; the {o.Backend} backend needs every value, found {o.ActivationShare}");
        if (!TimeDilation.IsValid(o.TimeDilation))
            errors.Add($"TimeDilation: expected a positive number, found {o.TimeDilation}");
        if (!(o.GpuMemoryGiB > 0) || double.IsInfinity(o.GpuMemoryGiB))
            errors.Add($"GpuMemoryGiB: expected a positive number, found {o.GpuMemoryGiB}");
        if (!(o.NicGbps > 0) || double.IsInfinity(o.NicGbps))
            errors.Add($"NicGbps: expected a positive number, found {o.NicGbps}");
        if (string.IsNullOrWhiteSpace(o.LeafSwitch))
            errors.Add("LeafSwitch: expected a name, found an empty one");
        if (o.DataAddress is { } address && !System.Net.IPAddress.TryParse(address, out _))
            errors.Add($"DataAddress: expected an IP address, found \"{address}\"");
        if (o.DataPort is < 0 or > 65535)
            errors.Add($"DataPort: expected 0 (any free port) to 65535, found {o.DataPort}");
        if (o.ClusterSecret is { } secret && secret.Length < ClusterSecrets.MinCharacters)
            errors.Add($"ClusterSecret: expected at least {ClusterSecrets.MinCharacters} characters, found {secret.Length}");
        else if (o.ClusterSecret is null && o.ClusterSecretFile is { } file && SecretFileError(o, file) is { } fileError)
            errors.Add(fileError);
        if (o.ChunkMiB is < 1 or > 256)
            errors.Add($"ChunkMiB: expected 1 to 256, found {o.ChunkMiB}");
        if (o.StorageMBps is { } storage && (!(storage > 0) || double.IsInfinity(storage)))
            errors.Add($"StorageMBps: expected a positive number, found {storage}");
        if (o.ReceiveMBps is { } receive && (!(receive > 0) || double.IsInfinity(receive)))
            errors.Add($"ReceiveMBps: expected a positive number, found {receive}");
        if (o.HostToDeviceMBps is { } hostToDevice && (!(hostToDevice > 0) || double.IsInfinity(hostToDevice)))
            errors.Add($"HostToDeviceMBps: expected a positive number, found {hostToDevice}");
        if (o.HostMemoryGiB is { } memory && (!(memory > 0) || double.IsInfinity(memory)))
            errors.Add($"HostMemoryGiB: expected a positive number, found {memory}");
        if (o.ModelsDirectory is { } dir && !Directory.Exists(dir))
            errors.Add($"ModelsDirectory: \"{dir}\" does not exist");
        return errors;
    }

    /// <summary>The secret file must be readable and hold a long enough secret; null when it does.</summary>
    private static string? SecretFileError(GpuHostOptions o, string file)
    {
        if (!File.Exists(file)) return $"ClusterSecretFile: \"{file}\" does not exist";
        try
        {
            ClusterSecrets.Configured(o);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>The timed backend needs a readable cost profile that has the cost model; null when it has one.</summary>
    private static string? TimedBackendError(GpuHostOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.CostModel))
            return "CostModel: expected the name of a row of the cost profile, found an empty one";
        if (string.IsNullOrWhiteSpace(o.CostProfile))
            return "CostProfile: the timed backend needs a cost profile (a JSON-lines file such as measurements/h200-layer-costs.jsonl), found none";
        try
        {
            CostProfile.Load(o.CostProfile, o.CostModel);
            return null;
        }
        catch (KeyNotFoundException)
        {
            return $"CostModel: expected a model of the cost profile \"{o.CostProfile}\" ({string.Join(", ", CostProfile.ModelsIn(o.CostProfile))}), found \"{o.CostModel}\"";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return $"CostProfile: cannot use \"{o.CostProfile}\": {e.Message}";
        }
    }

    /// <summary>Throws when invalid.</summary>
    /// <exception cref="ArgumentException">Lists every problem.</exception>
    public static void ThrowIfInvalid(GpuHostOptions o)
    {
        var errors = Validate(o);
        if (errors.Count > 0)
            throw new ArgumentException("invalid host options: " + string.Join("; ", errors));
    }
}
