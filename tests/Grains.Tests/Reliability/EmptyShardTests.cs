using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Placement;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// A request that reaches a shard holding no parameters (its silo was killed and started again, so the shard activated
/// empty) has lost its instance: the caller resumes it elsewhere. bench chaos saw 55 requests fail with "holds no
/// parameters (Empty)" as an InvalidOperationException, which no caller resumes.
/// </summary>
public sealed class EmptyShardTests(GridFixture grid) : IClassFixture<GridFixture>
{
    [Fact]
    public async Task A_request_sent_to_a_shard_that_holds_nothing_is_a_lost_instance()
    {
        string shard = new ShardKey("never-loaded", 7, 0).ToString();

        var lost = await Assert.ThrowsAsync<InstanceLostException>(() => HostContext.On(GridFixture.HostA, async () =>
        {
            await foreach (var _ in grid.Shard(shard).Generate(new GenerateRequest { PromptIds = [1, 2, 3], MaxTokens = 2 })) { }
            return 0;
        }));

        Assert.Contains("holds no parameters (Empty)", lost.Message);
        Assert.Equal(shard, lost.Shard);
        Assert.True(ResumableGeneration.IsInstanceLoss(lost, CancellationToken.None));
    }
}
