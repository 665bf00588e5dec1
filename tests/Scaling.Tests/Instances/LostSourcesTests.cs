using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Planning;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Instances;

/// <summary>What a load planned again after lost sources may still use.</summary>
public sealed class LostSourcesTests
{
    private const int Layers = 4;
    private readonly ModelInstances _model = new(new FakeTimeProvider());
    private int _next;

    private InstanceLifecycle Serving(string gpu)
    {
        int index = _next++;
        var instance = _model.Add(index, $"m/{index}/0", gpu, gpu.Split('/')[0], Layers);
        Assert.True(_model.StartLoading(index).Applied);
        Assert.True(_model.LayersLanded(index, Layers).Applied);
        Assert.True(_model.FinishLoading(index).Applied);
        return instance;
    }

    [Fact]
    public void A_lost_GPU_that_could_send_leaves_out_every_source_of_its_host_and_its_host_copy()
    {
        var holders = new[] { Serving("b/gpu0"), Serving("b/gpu1"), Serving("a/gpu0") };
        var lost = new LostSources();

        lost.Lost("b/gpu0", holders);

        Assert.Equal(["a/gpu0"], lost.Senders(holders).Select(s => s.Gpu));
        Assert.Equal(["b"], lost.Hosts);
        Assert.True(lost.ExcludesHostCopy("b"));
        Assert.False(lost.ExcludesHostCopy("a"));
        Assert.False(lost.ExcludesHostCopy(null));
    }

    [Fact]
    public void A_lost_host_copy_leaves_out_its_host_s_GPUs_too()
    {
        var holders = new[] { Serving("b/gpu0"), Serving("a/gpu0") };
        var lost = new LostSources();

        lost.Lost(TransferPlan.HostCopyEndpoint("b"), holders);

        Assert.Equal(["a/gpu0"], lost.Senders(holders).Select(s => s.Gpu));
        Assert.True(lost.ExcludesHostCopy("b"));
    }

    [Fact]
    public void A_lost_node_that_was_itself_loading_is_left_out_alone()
    {
        // An earlier node of the chain, still loading, fails on to the nodes after it when its own source is lost: its host is not suspect.
        var holders = new[] { Serving("b/gpu1"), Serving("a/gpu0") };
        var lost = new LostSources();

        lost.Lost("b/gpu0", holders);

        Assert.Equal(["b/gpu1", "a/gpu0"], lost.Senders(holders).Select(s => s.Gpu));
        Assert.Empty(lost.Hosts);
        Assert.False(lost.ExcludesHostCopy("b"));
    }

    [Fact]
    public void Every_source_lost_so_far_stays_out_and_replans_are_counted()
    {
        var holders = new[] { Serving("b/gpu0"), Serving("c/gpu0"), Serving("a/gpu0") };
        var lost = new LostSources();

        lost.Lost("b/gpu0", holders);
        lost.Replanned();
        lost.Lost("c/gpu0", holders);
        lost.Replanned();

        Assert.Equal(["a/gpu0"], lost.Senders(holders).Select(s => s.Gpu));
        Assert.Equal(["b", "c"], lost.Hosts);
        Assert.Equal(2, lost.Replans);
    }
}
