using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Tests;

/// <summary>The grid with storage read at 50 kB/s: a deployed model's instances stay loading for the length of a test.</summary>
public sealed class SlowStorageFixture : GridFixture
{
    protected override void ConfigureHost(GpuHostOptions host) => host.StorageMBps = 0.05;
}

/// <summary>A model holds a bounded number of requests while its instances load (<see cref="DeployRequest.MaxQueuedRequests"/>).</summary>
public sealed class AdmissionQueueTests(SlowStorageFixture grid) : IClassFixture<SlowStorageFixture>
{
    [Fact]
    public async Task A_loading_model_holds_requests_up_to_its_limit_and_refuses_the_next_one_saying_the_limit()
    {
        var model = grid.Model("queue-of-two");
        var deployed = await model.Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, MaxQueuedRequests = 2 });
        Assert.All(deployed.Instances, i => Assert.Equal(InstanceState.Loading, i.State));

        var held = new[] { model.Route(10, promptTokens: 5), model.Route(10, promptTokens: 5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await model.GetStatus()).QueueLength < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the two requests are not held after 30 s");
            await Task.Delay(10);
        }

        var full = await Assert.ThrowsAsync<AdmissionQueueFullException>(() => model.Route(10, promptTokens: 5));
        Assert.Equal(2, full.Limit);
        Assert.Equal("queue-of-two", full.Model);
        Assert.Contains("admission queue is full (2 request(s)", full.Message);
        Assert.All(held, h => Assert.False(h.IsCompleted, "a held request was answered while its instance loads"));
        Assert.Equal(2, (await model.GetStatus()).QueueLength);
    }

    [Fact]
    public async Task A_limit_of_zero_refuses_a_request_that_would_wait()
    {
        var model = grid.Model("queue-of-none");
        await model.Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, MaxQueuedRequests = 0 });

        var full = await Assert.ThrowsAsync<AdmissionQueueFullException>(() => model.Route(10, promptTokens: 5));
        Assert.Equal(0, full.Limit);
        Assert.Equal(0, (await model.GetStatus()).QueueLength);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(DeployRequest.MaxMaxQueuedRequests + 1)]
    public async Task A_limit_out_of_range_is_refused_naming_the_field(int limit)
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            grid.Model("queue-invalid").Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, MaxQueuedRequests = limit }));
        Assert.Contains($"max queued requests: expected 0 to {DeployRequest.MaxMaxQueuedRequests}, found {limit}", refused.Message);
    }

    [Fact]
    public void The_default_limit_is_1024()
    {
        Assert.Null(new DeployRequest { ModelDirectory = "m" }.MaxQueuedRequests);
        Assert.Equal(1024, DeployRequest.DefaultMaxQueuedRequests);
    }
}
