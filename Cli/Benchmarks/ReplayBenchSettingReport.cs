using System.Text.Json.Serialization;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The setting a replay on the testbed ran in, as <c>bench replay</c> and <c>bench chaos</c> report it: the timed backend
/// (profile, dilation), the model, the testbed, the seed and the trace window.
/// </summary>
internal abstract class ReplayBenchSettingReport
{
    public string Backend { get; set; } = "";
    public string? CostProfile { get; set; }
    public string? CostModel { get; set; }
    public double? TimeDilation { get; set; }
    public string? TimeDilationSource { get; set; }
    /// <summary>The emulated PCIe rate of a copy from a host's memory into a GPU (sllm's and allcache's loads, a host copy's own host).</summary>
    [JsonPropertyName("host_to_device_MBps")] public double? HostToDeviceMBps { get; set; }
    public string? HostToDeviceSource { get; set; }
    /// <summary>The share of each hidden-state and key/value row a live pair sends, and how it was chosen.</summary>
    public double? ActivationShare { get; set; }
    public string? ActivationShareSource { get; set; }
    public string Model { get; set; } = "";
    public string? Shape { get; set; }
    public long ModelBytes { get; set; }
    public int Layers { get; set; }
    public int Hosts { get; set; }
    public int GpusPerHost { get; set; }
    public int LinkMbit { get; set; }
    [JsonPropertyName("storage_MBps")] public double StorageMBps { get; set; }
    public int SequencesPerInstance { get; set; }
    public int KvBlocks { get; set; }
    /// <summary>Each emulated GPU's memory (what one instance's parameters and KV blocks need, 2 GiB at the least).</summary>
    [JsonPropertyName("gpu_memory_GiB")] public double GpuMemoryGiB { get; set; }
    /// <summary>The environment the testbed's silos ran with (MulticastTestbed.SiloEnvironment: JIT settings).</summary>
    public IReadOnlyDictionary<string, string> SiloEnvironment { get; set; } = MulticastTestbed.SiloEnvironment;
    public int Seed { get; set; }
    public int Cores { get; set; }
    /// <summary>The trace window and how it was chosen (with its peak-to-mean), the time scale, caps and objectives (wall clock).</summary>
    public ReplaySetting? Setting { get; set; }
    /// <summary>How the window's length was chosen, when --duration was not given.</summary>
    public string? WindowSource { get; set; }
    /// <summary>How the time scale was chosen.</summary>
    public string? RateSource { get; set; }
    /// <summary>The played mean rate as a share of the cluster's capacity (given, or fitted to the peak); null when --rate or --time-scale set it.</summary>
    public double? LoadShare { get; set; }

    /// <summary>Takes the setting from the bench's options and what <see cref="ReplayBenchSetup"/> resolved of them.</summary>
    public void Describe(ReplayBenchOptions options, ReplayBenchSetup setup)
    {
        Model = setup.Directory;
        Shape = options.Shape;
        Hosts = options.Hosts;
        GpusPerHost = options.GpusPerHost;
        LinkMbit = options.LinkMbit;
        StorageMBps = options.StorageMBps;
        SequencesPerInstance = options.SequencesPerInstance;
        Seed = options.Seed;
        Cores = Environment.ProcessorCount;
        Layers = setup.Layers;
        ModelBytes = setup.ModelBytes;
        KvBlocks = setup.KvBlocks;
        GpuMemoryGiB = setup.GpuMemoryGiB;
        Backend = setup.Timed.Backend;
        CostProfile = setup.Timed.Profile.Path;
        CostModel = setup.Timed.Profile.Model;
        TimeDilation = setup.Timed.Dilation;
        TimeDilationSource = setup.Timed.DilationSource;
        HostToDeviceMBps = setup.Timed.HostToDeviceMBps;
        HostToDeviceSource = setup.Timed.HostToDeviceSource;
        ActivationShare = setup.Timed.ActivationShare;
        ActivationShareSource = setup.Timed.ActivationSource;
        RateSource = setup.RateSource;
        LoadShare = setup.LoadShare;
        WindowSource = setup.WindowSource;
        Setting = setup.Setting;
    }
}
