using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>What a request resumed on another instance asks for, what the caller sees of it, and which errors count as a lost instance.</summary>
public sealed class ResumableGenerationTests
{
    private static readonly GenerateRequest Request = new() { PromptIds = [1, 5, 9], MaxTokens = 10, Temperature = 0.8f, Seed = 3, RequestId = "r" };

    [Fact]
    public void Before_any_loss_the_request_is_the_callers()
    {
        var generation = new ResumableGeneration(Request);
        generation.Accept(new GenerationUpdate { PromptIds = [1, 5, 9], Instance = "m/0/0" });
        generation.Accept(new GenerationUpdate { TokenId = 40, Index = 0 });

        Assert.Same(Request, generation.Next());
        Assert.Equal(GridGeneration.EstimatedTokens(Request), GridGeneration.EstimatedTokens(generation.Next()));
    }

    [Fact]
    public void A_resumed_request_prefills_the_delivered_tokens_and_asks_only_for_the_rest()
    {
        var generation = new ResumableGeneration(Request);
        generation.Accept(new GenerationUpdate { PromptIds = [1, 5, 9], Instance = "m/0/0" });
        generation.Accept(new GenerationUpdate { TokenId = 40, Index = 0, ElapsedMs = 10 });
        var before = generation.Accept(new GenerationUpdate { TokenId = 41, Index = 1, ElapsedMs = 20 });
        generation.Resumed();
        Assert.Equal(0, before!.Resumes);

        var next = generation.Next();
        Assert.Equal([1, 5, 9, 40, 41], next.PromptIds!);
        Assert.Equal(8, next.MaxTokens);
        Assert.Equal(2, next.TokensBefore);
        Assert.Equal("r.resume1", next.RequestId);
        Assert.Equal(Request.Seed, next.Seed);
        Assert.Equal(GridGeneration.EstimatedTokens(Request), GridGeneration.EstimatedTokens(generation.Next()));

        // The new instance's first update is not shown again; its tokens go on, and so do the times.
        Assert.Null(generation.Accept(new GenerationUpdate { PromptIds = next.PromptIds, Instance = "m/1/0" }));
        var token = generation.Accept(new GenerationUpdate { TokenId = 42, Index = 2, ElapsedMs = 5 });
        Assert.Equal(2, token!.Index);
        Assert.Equal(25, token.ElapsedMs);
        // The caller can tell the request moved (bench chaos counts resumed requests from it).
        Assert.Equal(1, token.Resumes);
        Assert.Equal(3, generation.Delivered);
    }

    [Fact]
    public void A_loss_before_the_first_update_runs_the_callers_request_again_and_shows_its_first_update()
    {
        var generation = new ResumableGeneration(Request);
        generation.Resumed();

        Assert.Same(Request, generation.Next());
        Assert.NotNull(generation.Accept(new GenerationUpdate { PromptIds = [1, 5, 9], Instance = "m/1/0" }));
    }

    [Fact]
    public void Only_the_runtimes_failures_and_a_stopped_instance_are_losses_and_never_after_a_cancel()
    {
        Assert.True(ResumableGeneration.IsInstanceLoss(new InstanceLostException("m/0/0", "unloaded"), default));
        Assert.True(ResumableGeneration.IsInstanceLoss(new SiloUnavailableException(), default));
        Assert.True(ResumableGeneration.IsInstanceLoss(new EnumerationAbortedException(), default));
        Assert.True(ResumableGeneration.IsInstanceLoss(new TimeoutException(), default));
        Assert.False(ResumableGeneration.IsInstanceLoss(new ArgumentException("prompt too long"), default));
        Assert.False(ResumableGeneration.IsInstanceLoss(new InvalidOperationException("no instance"), default));
        Assert.False(ResumableGeneration.IsInstanceLoss(new KeyNotFoundException(), default));
        Assert.False(ResumableGeneration.IsInstanceLoss(new InstanceLostException("m/0/0", "unloaded"), new CancellationToken(canceled: true)));
        // bench chaos: the gateway cancelled route calls it could not address while the dead silo's directory range moved.
        Assert.True(ResumableGeneration.IsInstanceLoss(new OperationCanceledException(), default));
        Assert.False(ResumableGeneration.IsInstanceLoss(new OperationCanceledException(), new CancellationToken(canceled: true)));
    }

    [Fact]
    public void A_cancellation_the_caller_did_not_ask_for_is_the_runtimes_and_tried_again()
    {
        Assert.True(ResumableGeneration.IsRuntimeFault(new OperationCanceledException(), default));
        Assert.True(ResumableGeneration.IsRuntimeFault(new TaskCanceledException(), default));
        Assert.True(ResumableGeneration.IsRuntimeFault(new SiloUnavailableException(), default));
        Assert.True(ResumableGeneration.IsRuntimeFault(new TimeoutException(), default));
        Assert.False(ResumableGeneration.IsRuntimeFault(new InstanceLostException("m/0/0", "unloaded"), default));
        Assert.False(ResumableGeneration.IsRuntimeFault(new KeyNotFoundException(), default));
        Assert.False(ResumableGeneration.IsRuntimeFault(new OperationCanceledException(), new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Resumes_after_the_first_wait_longer_each_time_up_to_two_seconds()
    {
        Assert.Equal([500, 1000, 2000, 2000], new[] { 1, 2, 3, 10 }.Select(n => GridGeneration.ResumePause(n).TotalMilliseconds));
        Assert.Throws<ArgumentOutOfRangeException>(() => GridGeneration.ResumePause(0));
    }
}
