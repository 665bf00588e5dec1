using System.Threading.Channels;
using BlitzScale.Grains.Interfaces.Serving;
using Orleans.Streams;

namespace BlitzScale.Client;

/// <summary>
/// A subscription to one model's events that is already in place: every event published after
/// <see cref="BlitzScaleClient.WatchModelAsync"/> returned is in <see cref="ReadAllAsync"/>. Dispose it to unsubscribe.
/// </summary>
public sealed class ModelEventWatch : IAsyncDisposable
{
    private readonly Channel<ModelEvent> _events;
    private readonly StreamSubscriptionHandle<ModelEvent> _handle;

    private ModelEventWatch(Channel<ModelEvent> events, StreamSubscriptionHandle<ModelEvent> handle)
    {
        _events = events;
        _handle = handle;
    }

    internal static async Task<ModelEventWatch> Start(IAsyncStream<ModelEvent> stream)
    {
        var events = Channel.CreateUnbounded<ModelEvent>();
        var handle = await stream.SubscribeAsync((e, _) =>
        {
            events.Writer.TryWrite(e);
            return Task.CompletedTask;
        });
        return new ModelEventWatch(events, handle);
    }

    /// <summary>The events in the order they arrived, until <paramref name="cancellationToken"/> is cancelled.</summary>
    public IAsyncEnumerable<ModelEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Unsubscribes.</summary>
    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _handle.UnsubscribeAsync();
    }
}
