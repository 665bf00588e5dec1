namespace BlitzScale.Grains.Hosting;

/// <summary>What this silo's host is: its name, its GPUs and its links. Validated by <see cref="GpuHostOptionsValidator"/>.</summary>
public sealed class GpuHostOptions
{
    /// <summary>Default GPUs per host.</summary>
    public const int DefaultGpus = 1;
    /// <summary>Real math on the CPU.</summary>
    public const string CpuBackend = "cpu";
    /// <summary>Real kernels on an NVIDIA GPU through the CUDA driver.</summary>
    public const string CudaBackend = "cuda";
    /// <summary>An emulated GPU: real parameters, compute timed from a cost profile, pseudo-tokens.</summary>
    public const string TimedBackend = "timed";
    /// <summary>Default compute backend.</summary>
    public const string DefaultBackend = CpuBackend;
    /// <summary>Default row of the cost profile the timed backend charges.</summary>
    public const string DefaultCostModel = "llama3-8b";
    /// <summary>Default time dilation of the timed backend (none).</summary>
    public const double DefaultTimeDilation = 1;
    /// <summary>Default memory per GPU, in GiB.</summary>
    public const double DefaultGpuMemoryGiB = 8;
    /// <summary>Default NIC bandwidth, in Gbit/s.</summary>
    public const double DefaultNicGbps = 100;

    /// <summary>The backends this build can run.</summary>
    public static IReadOnlyList<string> Backends { get; } = [CpuBackend, CudaBackend, TimedBackend];

    /// <summary>The host's name: GPU grains are keyed <c>"{host}/gpu{i}"</c>. Defaults to the machine name.</summary>
    public string Host { get; set; } = Environment.MachineName;
    /// <summary>Number of GPUs.</summary>
    public int Gpus { get; set; } = DefaultGpus;
    /// <summary>Compute backend of the GPUs: one of <see cref="Backends"/>.</summary>
    public string Backend { get; set; } = DefaultBackend;
    /// <summary>The timed backend's cost profile: a JSON-lines file of per-layer compute times (e.g. <c>measurements/h200-layer-costs.jsonl</c>).</summary>
    public string? CostProfile { get; set; }
    /// <summary>The row of <see cref="CostProfile"/> the timed backend charges (its <c>"model"</c>).</summary>
    public string CostModel { get; set; } = DefaultCostModel;
    /// <summary>
    /// The timed backend's time dilation D: every emulated compute time is multiplied by it, so that the testbed keeps a
    /// real cluster's ratio of load time to compute time (see <c>BlitzScale.Native.Compute.Timed.TimeDilation</c>).
    /// </summary>
    public double TimeDilation { get; set; } = DefaultTimeDilation;
    /// <summary>Memory per GPU, in GiB (parameters and KV cache are accounted against it).</summary>
    public double GpuMemoryGiB { get; set; } = DefaultGpuMemoryGiB;
    /// <summary>The NVLink group of this host's GPUs (GPUs in one group copy to each other directly). Defaults to the host name.</summary>
    public string? NvlinkGroup { get; set; }
    /// <summary>NIC bandwidth, in Gbit/s, for the planner.</summary>
    public double NicGbps { get; set; } = DefaultNicGbps;
    /// <summary>The leaf switch this host hangs off, for the planner.</summary>
    public string LeafSwitch { get; set; } = "leaf0";
    /// <summary>Where this host keeps model directories (relative model paths resolve against it).</summary>
    public string? ModelsDirectory { get; set; }
    /// <summary>The address the data plane listens on and peers reach it at (the silo's advertised address when null, else loopback).</summary>
    public string? DataAddress { get; set; }
    /// <summary>The data plane's TCP port; 0 picks a free one.</summary>
    public int DataPort { get; set; }
    /// <summary>
    /// The cluster secret both data-plane peers prove on connect (at least 16 characters). When null, the file
    /// <see cref="ClusterSecretFile"/> names, else <c>BLITZSCALE_CLUSTER_SECRET</c> (see <see cref="ClusterSecrets"/>). A silo run
    /// on its own refuses to start without one; silos built in one process share a random secret of that process.
    /// </summary>
    public string? ClusterSecret { get; set; }
    /// <summary>A file holding the cluster secret (surrounding whitespace ignored), read when <see cref="ClusterSecret"/> is null.</summary>
    public string? ClusterSecretFile { get; set; }
    /// <summary>Data-plane chunk size, in MiB.</summary>
    public int ChunkMiB { get; set; } = 4;
    /// <summary>
    /// Emulated storage read rate, in MB/s (10^6 bytes): reads of the model files are paced to it. Unlimited when null
    /// (this machine's page cache is far faster than the SSDs it stands for; the testbed scales it with the links).
    /// </summary>
    public double? StorageMBps { get; set; }
    /// <summary>
    /// Emulated rate at which this host receives parameters from peers and host copies, in MB/s (10^6 bytes). Unlimited when
    /// null. For grids in one process, where no link can be shaped; the testbed shapes real links with tc instead.
    /// </summary>
    public double? ReceiveMBps { get; set; }
    /// <summary>
    /// Emulated rate of a copy from this host's memory copy of a model into one of its GPUs (PCIe from pinned memory), in MB/s
    /// (10^6 bytes), each copy on its own: every GPU has its own PCIe link. Unlimited when null (an in-process copy runs at
    /// this machine's memory speed, far above the H200's PCIe in proportion to the testbed's scaled-down links). The silo
    /// declares it to the planner (<see cref="Interfaces.Topology.HostInfo.HostToDeviceGBps"/>): where it beats <see cref="NicGbps"/>,
    /// this host's GPUs load from a host copy here rather than over the network, and the one host copy goes to a host that
    /// keeps a GPU free for that.
    /// </summary>
    public double? HostToDeviceMBps { get; set; }
    /// <summary>
    /// When a LiveNew instance on this host moves a split request's keys and values of [0, j) to its LiveOld, which then runs
    /// it whole (<see cref="Scaling.Live.SplitMove"/>): <c>never</c> (the default), <c>when-waiting</c> (while a request waits
    /// here for a seat) or <c>after-prompt</c> (every split request). In bench live either move made blitz's p99 worse on the
    /// testbed (docs/live-scaling.md).
    /// </summary>
    public string LiveMove { get; set; } = "never";
    /// <summary>
    /// Whether a model grain on this silo may plan loads in complementary orders for a live policy: a network chain's last
    /// target fed from the whole host copy over its own link, last layers first, to serve with the chain's new last target as
    /// a pipeline once the two hold the model between them (<see cref="Scaling.Planning.ComplementaryChains"/>). On by default;
    /// off, every new instance's layers land first first and each pairs with a busy instance as before.
    /// </summary>
    public bool ComplementaryLoads { get; set; } = true;
    /// <summary>
    /// The share of each row of hidden states and of keys and values that travels between a live pair (the timed backend
    /// only, whose steps compute with a row's first two values; 1, every value, by default). A testbed bench sets it so that
    /// activations keep the real model's proportion to the parameters, as the links keep it for loads
    /// (<see cref="Native.Engine.HiddenStates.SentWidth"/>); at least two values of a row always travel.
    /// </summary>
    public double ActivationShare { get; set; } = 1;

    /// <summary>Whether <paramref name="share"/> is an <see cref="ActivationShare"/>: in (0, 1].</summary>
    public static bool IsActivationShare(double share) => share > 0 && share <= 1;
    /// <summary>Host memory for model copies, in GiB; the memory available at start-up when null.</summary>
    public double? HostMemoryGiB { get; set; }

    /// <summary>Bytes of memory per GPU.</summary>
    public long GpuMemoryBytes => (long)(GpuMemoryGiB * (1L << 30));
}
