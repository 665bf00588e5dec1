using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using Orleans.Streams;

namespace BlitzScale.Grains.Tests;

/// <summary>Every event of one model's stream, as a client sees it, with a way to await one.</summary>
internal sealed class ModelEventLog : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly List<ModelEvent> _events = [];
    private readonly List<(Func<ModelEvent, bool> Match, TaskCompletionSource<ModelEvent> Seen)> _waiting = [];
    private readonly Lock _gate = new();
    private StreamSubscriptionHandle<ModelEvent>? _handle;

    public static async Task<ModelEventLog> Follow(IClusterClient client, string model)
    {
        var log = new ModelEventLog();
        var stream = client.GetStreamProvider(StreamNames.Provider).GetStream<ModelEvent>(StreamId.Create(StreamNames.ModelEvents, model));
        log._handle = await stream.SubscribeAsync((e, _) => log.Add(e));
        return log;
    }

    public IReadOnlyList<ModelEvent> Events
    {
        get
        {
            lock (_gate) return _events.ToList();
        }
    }

    /// <summary>The first event (already seen or still to come) that matches.</summary>
    public Task<ModelEvent> WaitFor(Func<ModelEvent, bool> match)
    {
        lock (_gate)
        {
            if (_events.FirstOrDefault(match) is { } seen) return Task.FromResult(seen);
            var waiter = new TaskCompletionSource<ModelEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((match, waiter));
            return waiter.Task.WaitAsync(Patience);
        }
    }

    public Task<ModelEvent> WaitFor(ModelEventKind kind, string shard) => WaitFor(e => e.Kind == kind && e.Shard == shard);

    /// <summary>Waits until every shard is Serving, failing at once with the error of one that failed.</summary>
    public async Task Serving(IEnumerable<string> shards)
    {
        foreach (string shard in shards)
        {
            var e = await WaitFor(x => x.Shard == shard && x.Kind is ModelEventKind.Serving or ModelEventKind.Failed);
            Assert.True(e.Kind == ModelEventKind.Serving, $"{shard} failed to load: {e.Detail}");
        }
    }

    private Task Add(ModelEvent e)
    {
        lock (_gate)
        {
            _events.Add(e);
            for (int i = _waiting.Count - 1; i >= 0; i--)
            {
                if (!_waiting[i].Match(e)) continue;
                _waiting[i].Seen.TrySetResult(e);
                _waiting.RemoveAt(i);
            }
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_handle is not null) await _handle.UnsubscribeAsync();
    }
}
