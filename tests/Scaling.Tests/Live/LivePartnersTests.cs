using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Live;

/// <summary>A loading instance pairs with the most loaded serving instance that is free, and only when it can run something.</summary>
public sealed class LivePartnersTests
{
    private readonly ModelInstances _model = new(new FakeTimeProvider());

    [Fact]
    public void The_most_loaded_unpaired_serving_instance_is_chosen()
    {
        var a = Serving(0);
        var b = Serving(1);
        var fresh = Loading(2, landed: 1);
        var tokens = new Dictionary<int, long> { [0] = 100, [1] = 300 };

        Assert.Same(b, LivePartners.Choose(fresh, _model.All, i => tokens.GetValueOrDefault(i)));
        tokens[0] = 300;
        Assert.Same(a, LivePartners.Choose(fresh, _model.All, i => tokens.GetValueOrDefault(i)));
    }

    [Fact]
    public void An_idle_or_paired_instance_is_not_chosen()
    {
        var busy = Serving(0);
        Serving(1);
        var first = Loading(2, landed: 1);
        var second = Loading(3, landed: 2);
        Assert.Null(LivePartners.Choose(first, _model.All, _ => 0));

        Assert.True(_model.Pair(first.Index, busy.Index).Applied);
        Assert.Null(LivePartners.Choose(second, _model.All, i => i == 0 ? 50 : 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void An_instance_with_no_layer_or_every_layer_does_not_pair(int landed)
    {
        Serving(0);
        var fresh = Loading(1, landed);
        Assert.Null(LivePartners.Choose(fresh, _model.All, _ => 10));
    }

    private InstanceLifecycle Serving(int index)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"h{index}/gpu0", $"h{index}", 4);
        _model.StartLoading(index);
        _model.LayersLanded(index, 4);
        Assert.True(_model.FinishLoading(index).Applied);
        return instance;
    }

    private InstanceLifecycle Loading(int index, int landed)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"h{index}/gpu0", $"h{index}", 4);
        _model.StartLoading(index);
        if (landed > 0) _model.LayersLanded(index, landed);
        return instance;
    }
}
