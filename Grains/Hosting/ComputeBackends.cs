using System.Runtime.CompilerServices;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Grains.Hosting;

/// <summary>
/// The one place a host's compute backend is chosen: an engine for one of its GPUs over that GPU's parameter image,
/// by <see cref="GpuHostOptions.Backend"/>.
/// </summary>
public static class ComputeBackends
{
    // The timed backend's profile, read once per host (per options object) and shared by all its engines.
    private static readonly ConditionalWeakTable<GpuHostOptions, CostProfile> Profiles = [];

    /// <summary>
    /// An engine for GPU <paramref name="gpuIndex"/> of <paramref name="host"/> over <paramref name="image"/>, owning a KV
    /// store of <paramref name="kv"/>: <c>cpu</c> computes on <paramref name="image"/>; <c>cuda</c> opens that device and
    /// uploads the blobs that have landed in <paramref name="image"/> so far (later blobs are the caller's to load);
    /// <c>timed</c> emulates a GPU over <paramref name="image"/> with the host's cost profile and time dilation.
    /// </summary>
    /// <param name="host">The host's options (validated).</param>
    /// <param name="gpuIndex">The GPU, from 0.</param>
    /// <param name="image">The GPU's parameter image, filled by the data plane; owned by the caller.</param>
    /// <param name="kv">The KV store the engine owns.</param>
    /// <param name="time">The clock the timed backend measures its steps on; the system clock when null.</param>
    /// <exception cref="ArgumentException">The backend is not one of <see cref="GpuHostOptions.Backends"/>, or the timed backend has no cost profile.</exception>
    /// <exception cref="BlitzScale.Native.Cuda.CudaUnavailableException">cuda: no driver or no such device.</exception>
    /// <exception cref="FormatException">timed: the cost profile is malformed.</exception>
    /// <exception cref="KeyNotFoundException">timed: the cost profile has no row for the cost model.</exception>
    public static ILayerEngine Create(GpuHostOptions host, int gpuIndex, ParameterImage image, KvStoreShape kv, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegative(gpuIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(gpuIndex, host.Gpus);
        return host.Backend switch
        {
            GpuHostOptions.CpuBackend => new CpuEngine(image, kv),
            GpuHostOptions.CudaBackend => OpenCuda(gpuIndex, image, kv),
            GpuHostOptions.TimedBackend => new TimedEngine(image, kv, ProfileOf(host), host.TimeDilation, time),
            _ => throw new ArgumentException($"Backend: expected one of {string.Join(", ", GpuHostOptions.Backends)}, found \"{host.Backend}\"", nameof(host)),
        };
    }

    /// <summary>
    /// As <see cref="Create"/>, for an image that is still filling (a live pair's new half computes with the layers landed so
    /// far): cpu and timed compute on the image itself; a cuda engine uploads each blob that lands before the step that follows
    /// (<see cref="FillingCudaEngine"/>). Call it on the device's thread.
    /// </summary>
    public static ILayerEngine CreateFilling(GpuHostOptions host, int gpuIndex, ParameterImage image, KvStoreShape kv, TimeProvider? time = null)
    {
        var engine = Create(host, gpuIndex, image, kv, time);
        return engine is CudaEngine cuda ? new FillingCudaEngine(cuda, image) : engine;
    }

    /// <summary>
    /// Brings an engine made by <see cref="CreateFilling"/> up to its image, now complete, before a server that needs every layer
    /// takes it over; nothing to do for an engine that computes on the image. Returns the blobs uploaded. On the device's thread.
    /// </summary>
    public static int CatchUp(ILayerEngine engine) => engine is FillingCudaEngine filling ? filling.CatchUp() : 0;

    /// <summary>Whether <paramref name="backend"/> emulates compute (its times come from a profile, its tokens are pseudo-tokens): every output of such a run must say so.</summary>
    public static bool IsEmulated(string backend) => backend == GpuHostOptions.TimedBackend;

    /// <summary>
    /// The host's backend in words for status and reports: <c>cpu</c>, <c>cuda</c>, or
    /// <c>timed (emulated): profile llama3-8b from FILE, dilation D</c>.
    /// </summary>
    public static string Describe(GpuHostOptions host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return IsEmulated(host.Backend) ? TimedEngine.Describe(ProfileOf(host), host.TimeDilation) : host.Backend;
    }

    /// <summary>The timed backend's cost profile of <paramref name="host"/>, read on first use and shared after.</summary>
    /// <exception cref="ArgumentException">The host names no cost profile.</exception>
    public static CostProfile ProfileOf(GpuHostOptions host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (string.IsNullOrWhiteSpace(host.CostProfile))
            throw new ArgumentException($"CostProfile: the {GpuHostOptions.TimedBackend} backend needs a cost profile, found none", nameof(host));
        var profile = Profiles.GetValue(host, Load);
        // Options are fixed once the host has started; a test that changes them afterwards gets the file read again.
        if (profile.Path != host.CostProfile || profile.Model != host.CostModel)
        {
            profile = Load(host);
            Profiles.AddOrUpdate(host, profile);
        }
        return profile;
    }

    private static CostProfile Load(GpuHostOptions host) => CostProfile.Load(host.CostProfile!, host.CostModel);

    private static CudaEngine OpenCuda(int gpuIndex, ParameterImage image, KvStoreShape kv)
    {
        var engine = CudaEngine.Open(image.Layout, kv, device: gpuIndex);
        try
        {
            engine.LoadFrom(image);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }
}
