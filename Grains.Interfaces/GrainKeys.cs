namespace BlitzScale.Grains.Interfaces;

/// <summary>The string keys of BlitzScale's grains, built and parsed in one place.</summary>
public static class GrainKeys
{
    /// <summary>The key of the topology grain (one per cluster).</summary>
    public const string Cluster = "cluster";

    /// <summary><c>"{host}/gpu{index}"</c>: the GPU grain of one device.</summary>
    public static string Gpu(string host, int index) => $"{host}/gpu{index}";

    /// <summary><c>"{model}/{instance}/{rank}"</c>: the layer shard of one instance on one GPU.</summary>
    public static string Shard(string model, int instance, int rank) => $"{model}/{instance}/{rank}";

    /// <summary><c>"{host}/memory"</c>: the host-memory model cache of one host.</summary>
    public static string HostMemory(string host) => $"{host}/memory";

    /// <summary>The host of a host-memory key.</summary>
    /// <exception cref="FormatException">The key is not <c>"{host}/memory"</c>.</exception>
    public static string ParseHostMemory(string key) =>
        key.EndsWith("/memory", StringComparison.Ordinal) && key.Length > "/memory".Length
            ? key[..^"/memory".Length]
            : throw new FormatException($"host memory grain key \"{key}\" is not of the form \"{{host}}/memory\"");

    /// <summary>The host part of a GPU key.</summary>
    /// <exception cref="FormatException">The key is not <c>"{host}/gpu{index}"</c>.</exception>
    public static (string Host, int Index) ParseGpu(string key)
    {
        int slash = key.LastIndexOf("/gpu", StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 4), out int index) || index < 0)
            throw new FormatException($"GPU grain key \"{key}\" is not of the form \"{{host}}/gpu{{index}}\"");
        return (key[..slash], index);
    }

    /// <summary>The parts of a shard key.</summary>
    /// <exception cref="FormatException">The key is not <c>"{model}/{instance}/{rank}"</c>.</exception>
    public static (string Model, int Instance, int Rank) ParseShard(string key)
    {
        int last = key.LastIndexOf('/');
        int middle = last > 0 ? key.LastIndexOf('/', last - 1) : -1;
        if (middle <= 0 || !int.TryParse(key.AsSpan(middle + 1, last - middle - 1), out int instance)
            || !int.TryParse(key.AsSpan(last + 1), out int rank))
        {
            throw new FormatException($"layer shard key \"{key}\" is not of the form \"{{model}}/{{instance}}/{{rank}}\"");
        }
        return (key[..middle], instance, rank);
    }
}
