using BlitzScale.Grains.Hosting;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Hosting;

/// <summary>The one backend factory: which engine each backend gets, the timed profile shared per host, and what is emulated.</summary>
public sealed class ComputeBackendsTests : IDisposable
{
    private const string Profile = """
        {"device": "Test GPU"}
        {"model": "small", "layer_bytes_bf16": 1000, "n_layers": 4, "prefill_T16_ms": 2.0, "decode_B1_ctx1024_ms": 1.0, "decode_B8_ctx1024_ms": 1.5}
        """;

    private static readonly KvStoreShape Kv = new(Blocks: 8, BlockSize: 16);
    private readonly TempDirectory _dir = new();
    private readonly LocalModel _model = LocalModel.Open(SyntheticModelCache.GetOrCreate(SyntheticShapes.Default, DType.F32, seed: 7));

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    private GpuHostOptions Timed(double dilation = 1)
    {
        string path = _dir.File("costs.jsonl");
        File.WriteAllText(path, Profile);
        return new GpuHostOptions { Backend = GpuHostOptions.TimedBackend, Gpus = 2, CostProfile = path, CostModel = "small", TimeDilation = dilation };
    }

    [Fact]
    public void Over_a_filling_image_cpu_and_timed_get_their_plain_engines_with_nothing_to_catch_up()
    {
        using var cpu = ComputeBackends.CreateFilling(new GpuHostOptions(), 0, _model.Image, Kv);
        Assert.IsType<CpuEngine>(cpu);
        Assert.Equal(0, ComputeBackends.CatchUp(cpu));
        using var timed = ComputeBackends.CreateFilling(Timed(), 0, _model.Image, Kv);
        Assert.IsType<TimedEngine>(timed);
        Assert.Equal(0, ComputeBackends.CatchUp(timed));
    }

    [Fact]
    public void The_cpu_backend_computes_on_the_image()
    {
        using var engine = ComputeBackends.Create(new GpuHostOptions(), 0, _model.Image, Kv);
        Assert.IsType<CpuEngine>(engine);
        Assert.Equal((_model.Image.Layout.Config, Kv, _model.Image.Layout.NumLayers), (engine.Config, engine.KvShape, engine.LoadedLayers));
    }

    [Fact]
    public void The_timed_backend_emulates_over_the_image_with_the_hosts_profile_and_dilation()
    {
        var host = Timed(dilation: 3);
        using var engine = Assert.IsType<TimedEngine>(ComputeBackends.Create(host, 1, _model.Image, Kv));
        Assert.Equal(("small", 3.0, Kv), (engine.Profile.Model, engine.Dilation, engine.KvShape));
        Assert.Equal(_model.Image.Layout.NumLayers, engine.LoadedLayers);
        Assert.Equal($"timed (emulated): profile small from {host.CostProfile}, dilation 3", ComputeBackends.Describe(host));
    }

    [Fact]
    public void A_hosts_engines_share_one_profile_read_once()
    {
        var host = Timed();
        using var first = Assert.IsType<TimedEngine>(ComputeBackends.Create(host, 0, _model.Image, Kv));
        File.Delete(host.CostProfile!); // a second read would fail
        using var second = Assert.IsType<TimedEngine>(ComputeBackends.Create(host, 1, _model.Image, Kv));
        Assert.Same(first.Profile, second.Profile);
    }

    [Fact]
    public void The_cuda_backend_opens_the_device_or_says_there_is_none()
    {
        var host = new GpuHostOptions { Backend = GpuHostOptions.CudaBackend };
        if (!CudaRuntime.Probe().Available)
        {
            var error = Assert.Throws<CudaUnavailableException>(() => ComputeBackends.Create(host, 0, _model.Image, Kv));
            Assert.Contains("no CUDA device", error.Message, StringComparison.Ordinal);
            return;
        }
        using var engine = Assert.IsType<BlitzScale.Native.Cuda.Engine.CudaEngine>(ComputeBackends.Create(host, 0, _model.Image, Kv));
        Assert.Equal(_model.Image.Layout.NumLayers, engine.LoadedLayers); // what had landed was uploaded
    }

    [Fact]
    public void Only_the_timed_backend_is_emulated()
    {
        Assert.True(ComputeBackends.IsEmulated(GpuHostOptions.TimedBackend));
        Assert.False(ComputeBackends.IsEmulated(GpuHostOptions.CpuBackend));
        Assert.False(ComputeBackends.IsEmulated(GpuHostOptions.CudaBackend));
        Assert.Equal("cpu", ComputeBackends.Describe(new GpuHostOptions()));
    }

    [Fact]
    public void An_unknown_backend_or_gpu_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ComputeBackends.Create(new GpuHostOptions { Backend = "tpu" }, 0, _model.Image, Kv));
        Assert.Contains("expected one of cpu, cuda, timed, found \"tpu\"", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ComputeBackends.Create(new GpuHostOptions { Gpus = 2 }, 2, _model.Image, Kv));
    }

    [Fact]
    public void A_timed_host_without_a_profile_is_refused_naming_the_option()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ComputeBackends.Create(new GpuHostOptions { Backend = GpuHostOptions.TimedBackend }, 0, _model.Image, Kv));
        Assert.StartsWith("CostProfile:", error.Message, StringComparison.Ordinal);
    }
}
