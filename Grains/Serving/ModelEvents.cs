using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Runtime.CompilerServices;
using Orleans.Streams;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The one way grains publish on a model's event stream. Publishing is best effort: a memory-stream queue lives on one silo,
/// and while that silo is dead and not yet declared so, publishing fails (bench chaos: a refed shard's layer events failed on
/// the queue of the silo killed with its source, and its load failed with them). What an event says the model grain also
/// reads from the shards' status (its autoscaler tick and every status read observe them), so a lost event is logged, not thrown.
/// </summary>
internal static partial class ModelEvents
{
    public static IAsyncStream<ModelEvent> Stream(Grain grain, string model) =>
        grain.GetStreamProvider(StreamNames.Provider).GetStream<ModelEvent>(StreamId.Create(StreamNames.ModelEvents, model));

    public static async Task Publish(Grain grain, ModelEvent modelEvent)
    {
        try
        {
            await Stream(grain, modelEvent.Model).OnNextAsync(modelEvent);
        }
        catch (Exception e) when (e is OrleansMessageRejectionException or TimeoutException)
        {
            LogLost(grain, modelEvent, e.Message);
        }
    }

    /// <summary>
    /// A shard's event that the model grain acts on: told to the model grain directly (one way), then published for watchers.
    /// The model grain does not wait for the stream: a memory-stream queue on a silo killed with a load's source holds the
    /// shard's Failed event until membership declares that silo dead (bench chaos: seconds before the refeed was planned).
    /// </summary>
    public static Task Report(Grain grain, ModelEvent modelEvent)
    {
        TellModel(grain, modelEvent);
        return Publish(grain, modelEvent);
    }

    // Each grain's last background publication: the next one waits for it, so watchers see a grain's events in order.
    private static readonly ConditionalWeakTable<Grain, Task> Tails = new();

    /// <summary>
    /// <see cref="Report"/> without waiting for the stream: the model grain is told now, and the event is published after the
    /// grain's earlier ones (<see cref="PublishInOrder"/>). For a load's events: a publication held by a dead silo's queue
    /// must not hold the load's failure handling (bench chaos at 5a093a1: the shard learned of its lost source 5.4 s late,
    /// while a layer's event waited on the killed source silo's queue, and the refeed waited with it).
    /// </summary>
    public static void ReportInOrder(Grain grain, ModelEvent modelEvent)
    {
        TellModel(grain, modelEvent);
        PublishInOrder(grain, modelEvent);
    }

    /// <summary>Publishes after the grain's earlier background publications, without waiting; failures are logged. Call on the grain's scheduler.</summary>
    public static void PublishInOrder(Grain grain, ModelEvent modelEvent)
    {
        var previous = Tails.TryGetValue(grain, out var tail) ? tail : Task.CompletedTask;
        Tails.AddOrUpdate(grain, PublishAfter(previous, grain, modelEvent));
    }

    private static async Task PublishAfter(Task previous, Grain grain, ModelEvent modelEvent)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        try
        {
            await Publish(grain, modelEvent);
        }
        catch (Exception e)
        {
            // Nobody awaits this publication: whatever went wrong is logged, and the next one still goes.
            LogLost(grain, modelEvent, e.Message);
        }
    }

    private static void TellModel(Grain grain, ModelEvent modelEvent)
    {
        try
        {
            var grains = ((IGrainBase)grain).GrainContext.ActivationServices.GetRequiredService<IGrainFactory>();
            _ = grains.GetGrain<IModelGrain>(modelEvent.Model).Report(modelEvent);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // Best effort as publishing is: the model grain's next status read observes what the report said.
            LogLost(grain, modelEvent, e.Message);
        }
    }

    private static void LogLost(Grain grain, ModelEvent modelEvent, string reason)
    {
        var logger = ((IGrainBase)grain).GrainContext.ActivationServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(ModelEvents).FullName!);
        if (logger is not null) LogLost(logger, modelEvent.Kind, modelEvent.Model, modelEvent.Shard, reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Kind} event of model {Model} (shard {Shard}) could not be published: {Reason}")]
    private static partial void LogLost(ILogger logger, ModelEventKind kind, string model, string? shard, string reason);
}
