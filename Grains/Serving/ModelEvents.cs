using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using Orleans.Streams;

namespace BlitzScale.Grains.Serving;

/// <summary>The one way grains publish on a model's event stream.</summary>
internal static class ModelEvents
{
    public static IAsyncStream<ModelEvent> Stream(Grain grain, string model) =>
        grain.GetStreamProvider(StreamNames.Provider).GetStream<ModelEvent>(StreamId.Create(StreamNames.ModelEvents, model));

    public static Task Publish(Grain grain, ModelEvent modelEvent) => Stream(grain, modelEvent.Model).OnNextAsync(modelEvent);
}
