using BlitzScale.Grains.Serving;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// An instance's prefill rating at start on the cpu engine: measured on the device's thread, on blocks a live server's
/// running requests do not hold, and handed back; 0 when too few are free. (The timed backend's, the profile's figure, is
/// checked in the timed grid's tests.)
/// </summary>
public sealed class PrefillRatingTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    [Fact]
    public async Task A_cpu_engine_is_measured_on_blocks_the_shared_allocator_hands_out_and_gets_back()
    {
        using var engine = models.Engine(64);
        using var device = new DeviceExecutor("rating");
        var policy = new BatchPolicy { KvBlocks = 64, MaxBatchTokens = 64 };
        var shared = new KvBlockAllocator(64, BatchPolicy.DefaultBlockSize);
        // A live request holds 60 of the 64 blocks: 4 blocks, 64 positions, are free.
        var running = new KvBlockTable();
        Assert.True(shared.TryReserve(running, 60 * BatchPolicy.DefaultBlockSize));
        int released = 0;
        shared.Released += () => released++;

        double rate = await PrefillRating.Of(engine, policy, device, shared);

        Assert.True(rate > 0 && double.IsFinite(rate), $"rate {rate}");
        Assert.Equal(4, shared.FreeBlocks);
        Assert.Equal(1, released);
        Assert.Equal(60, running.Blocks.Count);
    }

    [Fact]
    public async Task Too_few_free_blocks_give_no_rating_and_take_none()
    {
        using var engine = models.Engine(64);
        using var device = new DeviceExecutor("rating");
        var policy = new BatchPolicy { KvBlocks = 64 };
        var shared = new KvBlockAllocator(64, BatchPolicy.DefaultBlockSize);
        // One free block holds 16 positions, the first prefill's; none free holds nothing.
        Assert.True(shared.TryReserve(new KvBlockTable(), 64 * BatchPolicy.DefaultBlockSize));

        Assert.Equal(0, await PrefillRating.Of(engine, policy, device, shared));
        Assert.Equal(0, shared.FreeBlocks);
    }
}
