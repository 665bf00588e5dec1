using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>Reads a stream: its first update and three tokens, then nothing until the gate opens, then the rest.</summary>
internal sealed class PausedStream
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PausedStream(IAsyncEnumerable<GenerationUpdate> updates, Task gate) => Done = Read(updates, gate);

    public Task Started => _started.Task;
    public string Instance { get; private set; } = "";
    /// <summary>Why the stream moved, each time (<see cref="GenerationUpdate.ResumedBecause"/>).</summary>
    public List<string> MovedBecause { get; } = [];
    public Task<(List<int> Tokens, List<int> Indices)> Done { get; }

    private async Task<(List<int>, List<int>)> Read(IAsyncEnumerable<GenerationUpdate> updates, Task gate)
    {
        var tokens = new List<int>();
        var indices = new List<int>();
        try
        {
            await foreach (var update in updates)
            {
                if (update.Instance is { } instance) Instance = instance;
                if (update.ResumedBecause is { } because) MovedBecause.Add(because);
                if (update.TokenId < 0) continue;
                tokens.Add(update.TokenId);
                indices.Add(update.Index);
                if (tokens.Count == 3)
                {
                    _started.TrySetResult();
                    await gate;
                }
            }
        }
        catch (Exception e)
        {
            _started.TrySetException(e);
            throw;
        }
        return (tokens, indices);
    }
}
