namespace BlitzScale.Scaling.Planning;

/// <summary>Checks a <see cref="PlanningInput"/> and names the first bad item, so a caller's mistake never turns into a silently wrong plan.</summary>
internal static class PlanningInputValidator
{
    public static PlanningTopology Validate(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Require(input.Hosts, "hosts");
        Require(input.Gpus, "GPUs");
        Require(input.BlobSizes, "blob sizes");
        Require(input.Sources, "sources");
        Require(input.Targets, "targets");
        Require(input.Limits, "limits");

        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var host in input.Hosts)
        {
            if (host is null) throw Bad("hosts: a host is null");
            if (string.IsNullOrWhiteSpace(host.Name)) throw Bad("hosts: a host has an empty name");
            if (!hosts.Add(host.Name)) throw Bad($"host \"{host.Name}\" is listed twice");
            if (!(host.NicGbps > 0) || double.IsInfinity(host.NicGbps))
                throw Bad($"host \"{host.Name}\": NIC bandwidth {host.NicGbps} Gbit/s, expected a positive number");
            if (string.IsNullOrWhiteSpace(host.LeafSwitch)) throw Bad($"host \"{host.Name}\": empty leaf switch name");
            if (host.HostToDeviceGBps is { } copyRate && (!(copyRate > 0) || double.IsInfinity(copyRate)))
                throw Bad($"host \"{host.Name}\": host-to-GPU copy rate {copyRate} GB/s, expected a positive number");
        }

        var gpus = new HashSet<string>(StringComparer.Ordinal);
        foreach (var gpu in input.Gpus)
        {
            if (gpu is null) throw Bad("GPUs: a GPU is null");
            if (string.IsNullOrWhiteSpace(gpu.Key)) throw Bad("GPUs: a GPU has an empty key");
            if (!gpus.Add(gpu.Key)) throw Bad($"GPU \"{gpu.Key}\" is listed twice");
            if (gpu.Host is null || !hosts.Contains(gpu.Host)) throw Bad($"GPU \"{gpu.Key}\" is on unknown host \"{gpu.Host}\"");
            // Keys are "{host}/gpu{i}"; the prefix also keeps them apart from the "{host}/memory" and "storage" endpoints.
            if (!gpu.Key.StartsWith(gpu.Host + "/", StringComparison.Ordinal) || TransferPlan.HostOfHostCopy(gpu.Key) is not null)
                throw Bad($"GPU \"{gpu.Key}\": expected a key \"{gpu.Host}/gpuN\"");
            if (string.IsNullOrWhiteSpace(gpu.NvlinkGroup)) throw Bad($"GPU \"{gpu.Key}\": empty NVLink group name");
            if (!(gpu.RelativeSpeed > 0) || double.IsInfinity(gpu.RelativeSpeed))
                throw Bad($"GPU \"{gpu.Key}\": relative speed {gpu.RelativeSpeed}, expected a positive number");
        }

        if (input.BlobSizes.Count == 0) throw Bad("blob sizes: the image has no blobs");
        long imageBytes = 0;
        for (int i = 0; i < input.BlobSizes.Count; i++)
        {
            if (input.BlobSizes[i] <= 0) throw Bad($"blob {i}: size {input.BlobSizes[i]} bytes, expected more than 0");
            try { imageBytes = checked(imageBytes + input.BlobSizes[i]); }
            catch (OverflowException) { throw Bad($"blob {i}: the image's total size overflows"); }
        }

        var sources = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in input.Sources)
        {
            if (source is null) throw Bad("sources: a source is null");
            if (source.Gpu is null || !gpus.Contains(source.Gpu)) throw Bad($"source GPU \"{source.Gpu}\" is not a GPU of the topology");
            if (!sources.Add(source.Gpu)) throw Bad($"source GPU \"{source.Gpu}\" is listed twice");
            if (!Enum.IsDefined(source.Role)) throw Bad($"source GPU \"{source.Gpu}\": unknown role {(int)source.Role}");
        }

        if (input.Targets.Count == 0) throw Bad("targets: expected at least one target GPU");
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in input.Targets)
        {
            if (target is null || !gpus.Contains(target)) throw Bad($"target GPU \"{target}\" is not a GPU of the topology");
            if (!targets.Add(target)) throw Bad($"target GPU \"{target}\" is listed twice");
        }

        if (input.HostCopy is { } copy && !hosts.Contains(copy)) throw Bad($"host copy: unknown host \"{copy}\"");
        if (input.Limits.MaxStreamsPerGpu < 1) throw Bad($"limits: {input.Limits.MaxStreamsPerGpu} streams per GPU, expected at least 1");
        if (input.Limits.MaxStreamsPerHostNic < 1) throw Bad($"limits: {input.Limits.MaxStreamsPerHostNic} streams per host NIC, expected at least 1");

        return new PlanningTopology(input.Hosts, input.Gpus, input.BlobSizes, imageBytes);
    }

    private static void Require(object? list, string what)
    {
        if (list is null) throw Bad($"{what}: expected a list, found null");
    }

    private static ArgumentException Bad(string message) => new(message, "input");
}
