namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// How long the model grain may hold a request's <see cref="IModelGrain.Route"/> or <see cref="IModelGrain.Resume"/> call
/// (waiting for a seat, or for an instance on its way), and the response timeout those two calls carry, which outlasts it.
/// </summary>
/// <remarks>
/// Every other grain call keeps Orleans' default response timeout of 30 s. A route call held past it had failed at the caller
/// with the runtime's "Response did not arrive on time" while the grain still held it: the caller routed again at the back of
/// the queue, the abandoned call later took a seat nobody used, and after 60 s of that the request failed with the runtime's
/// message (bench live on the cpu backend, 7 December: 32 requests at once on one core, whose queue outlasted 30 s). The
/// call's own timeout is now the hold limit and a margin, so the grain's answer (a seat, or the error that names why none came)
/// always arrives first. A dead model grain is noticed sooner than any timeout by <see cref="RouteWatch"/>'s probes.
/// </remarks>
public static class RouteHold
{
    /// <summary>The longest the model grain holds a route or resume call before failing it with a message that says why.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>The response timeout of <see cref="IModelGrain.Route"/> and <see cref="IModelGrain.Resume"/>: <see cref="Limit"/> and 30 s.</summary>
    public const string ResponseTimeout = "00:02:30";
}
