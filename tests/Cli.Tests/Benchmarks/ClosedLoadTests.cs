using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The warm-up's closed loop: as many requests in flight as clients, each client's next sent when its last ends, none after the stop.</summary>
public sealed class ClosedLoadTests
{
    [Fact]
    public async Task Every_client_keeps_one_request_in_flight_until_the_stop_and_sends_none_after_it()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new List<int[]>();
        var allFour = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var prompts = new ServeWorkload(1, 1, 8, 4, vocab: 512, seed: 3);
        Func<int[], int, Func<Task>, Task> generate = async (prompt, maxTokens, _) =>
        {
            Assert.Equal(8, prompt.Length);
            Assert.Equal(4, maxTokens);
            lock (started)
            {
                started.Add(prompt);
                if (started.Count == 4) allFour.SetResult();
            }
            await gate.Task;
        };

        using var load = new ClosedLoad(generate, prompts, concurrency: 4, promptTokens: 8, outputTokens: 4);
        await allFour.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopped = load.StopAsync();
        Assert.False(stopped.IsCompleted);
        gate.SetResult();

        Assert.Equal(4, await stopped.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(4, started.Count);
        Assert.Equal(4, started.Select(p => string.Join(',', p)).Distinct().Count());
    }

    [Fact]
    public async Task A_failed_request_fails_the_stop()
    {
        var prompts = new ServeWorkload(1, 1, 8, 4, vocab: 512, seed: 3);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var load = new ClosedLoad((_, _, _) =>
        {
            failed.TrySetResult();
            return Task.FromException(new InvalidOperationException("model gone"));
        }, prompts, 2, 8, 4);
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(load.StopAsync);

        Assert.Equal("model gone", error.Message);
    }
}
