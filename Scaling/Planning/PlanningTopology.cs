namespace BlitzScale.Scaling.Planning;

/// <summary>A validated, indexed view of a <see cref="PlanningInput"/>'s hosts, GPUs and image.</summary>
internal sealed class PlanningTopology
{
    private readonly Dictionary<string, HostSpec> hosts;
    private readonly Dictionary<string, GpuSpec> gpus;

    public PlanningTopology(IEnumerable<HostSpec> hosts, IEnumerable<GpuSpec> gpus, IReadOnlyList<long> blobSizes, long imageBytes)
    {
        this.hosts = hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        this.gpus = gpus.ToDictionary(g => g.Key, StringComparer.Ordinal);
        BlobSizes = blobSizes;
        ImageBytes = imageBytes;
        LargestBlob = blobSizes.Max();
    }

    public IReadOnlyList<long> BlobSizes { get; }

    public long ImageBytes { get; }

    public long LargestBlob { get; }

    public BlobRange WholeImage => BlobRange.All(BlobSizes.Count);

    public bool IsGpu(string key) => gpus.ContainsKey(key);

    public bool IsHost(string name) => hosts.ContainsKey(name);

    public GpuSpec Gpu(string key) => gpus[key];

    public HostSpec Host(string name) => hosts[name];

    public string LeafOf(string gpu) => hosts[gpus[gpu].Host].LeafSwitch;

    /// <summary>The link a copy between two GPUs uses: NVLink inside a group, PCIe inside a host, else the network.</summary>
    public LinkType LinkBetween(string fromGpu, string toGpu)
    {
        GpuSpec from = gpus[fromGpu], to = gpus[toGpu];
        if (!string.Equals(from.Host, to.Host, StringComparison.Ordinal)) return LinkType.Network;
        return string.Equals(from.NvlinkGroup, to.NvlinkGroup, StringComparison.Ordinal) ? LinkType.NvLink : LinkType.Pcie;
    }

    public long BytesOf(BlobRange range)
    {
        long bytes = 0;
        for (int i = range.Start; i < range.End; i++) bytes += BlobSizes[i];
        return bytes;
    }
}
