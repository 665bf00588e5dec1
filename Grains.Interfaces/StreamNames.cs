namespace BlitzScale.Grains.Interfaces;

/// <summary>The one place that names the stream provider and namespaces, so a persistent provider can replace the memory one.</summary>
public static class StreamNames
{
    /// <summary>The stream provider every silo and client registers.</summary>
    public const string Provider = "blitz";

    /// <summary>Storage the memory stream provider keeps subscriptions in.</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>Loading and instance events of a model (stream key: the model name): layer-ready, transfer progress, state changes.</summary>
    public const string ModelEvents = "blitz.model-events";
}
