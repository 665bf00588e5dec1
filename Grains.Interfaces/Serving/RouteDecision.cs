namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// Where the model grain sent one request: the instance's shard, the host it runs on, the ticket that returns the
/// request's tokens to the router when it ends (<see cref="IModelGrain.Release"/>), and whether the router counts the
/// request's prompt on that instance until the caller tells it the first token came (<see cref="IModelGrain.Started"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.RouteDecision")]
public sealed record RouteDecision(
    [property: Id(0)] long Ticket,
    [property: Id(1)] string Shard,
    [property: Id(2)] string Host,
    [property: Id(3)] bool ReportsStart = false);
