using BlitzScale.Scaling.Serving;

namespace BlitzScale.Scaling.Tests.Serving;

public sealed class BatchPolicyTests
{
    [Fact]
    public void The_defaults_are_pinned()
    {
        var policy = new BatchPolicy();
        Assert.Equal(512, policy.MaxBatchTokens);
        Assert.Equal(64, policy.MaxRunningSequences);
        Assert.Equal(16, policy.BlockSize);
        Assert.Equal(1024, policy.KvBlocks);
        policy.Validate();
    }

    [Theory]
    [InlineData(nameof(BatchPolicy.MaxBatchTokens), 0, 1, 16, 8)]
    [InlineData(nameof(BatchPolicy.MaxRunningSequences), 8, 0, 16, 8)]
    [InlineData(nameof(BatchPolicy.MaxRunningSequences), 8, 9, 16, 8)]
    [InlineData(nameof(BatchPolicy.BlockSize), 8, 8, 0, 8)]
    [InlineData(nameof(BatchPolicy.KvBlocks), 8, 8, 16, -1)]
    public void Validate_names_the_field_out_of_range(string field, int batchTokens, int running, int blockSize, int blocks)
    {
        var policy = new BatchPolicy { MaxBatchTokens = batchTokens, MaxRunningSequences = running, BlockSize = blockSize, KvBlocks = blocks };
        var error = Assert.Throws<ArgumentOutOfRangeException>(policy.Validate);
        Assert.Equal(field, error.ParamName);
    }

    [Theory]
    [InlineData(null, BatchPolicy.DefaultMaxBatchTokens, BatchPolicy.DefaultMaxRunningSequences)]
    [InlineData(1024, 1024, BatchPolicy.DefaultMaxRunningSequences)]
    [InlineData(16, 16, 16)]
    public void A_step_budget_caps_the_running_count_so_every_sequence_decodes_each_step(int? budget, int tokens, int running)
    {
        var policy = BatchPolicy.ForBudget(budget);

        Assert.Equal((tokens, running), (policy.MaxBatchTokens, policy.MaxRunningSequences));
        Assert.Equal(BatchPolicy.DefaultKvBlocks, policy.KvBlocks);
        policy.Validate();
    }
}
