namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// A model already holds as many requests waiting for an instance as its deployment allows
/// (<see cref="DeployRequest.MaxQueuedRequests"/>): the request was not queued; retry later.
/// </summary>
[GenerateSerializer, Alias("blitz.AdmissionQueueFullException")]
public sealed class AdmissionQueueFullException : Exception
{
    /// <summary>An empty one (for serialization).</summary>
    public AdmissionQueueFullException()
    {
    }

    /// <summary>The queue of <paramref name="model"/> is full at <paramref name="limit"/> waiting requests.</summary>
    public AdmissionQueueFullException(string model, int limit)
        : base($"model \"{model}\": the admission queue is full ({limit} request(s) already wait for an instance); retry later")
    {
        Model = model;
        Limit = limit;
    }

    /// <summary>The model.</summary>
    [Id(0)] public string Model { get; init; } = "";

    /// <summary>How many waiting requests the model holds at most.</summary>
    [Id(1)] public int Limit { get; init; }
}
