namespace BlitzScale.Scaling.Routing;

/// <summary>A request routed to an instance; hand it back to <see cref="RequestRouter.Release"/> when the request ends.</summary>
/// <param name="Id">Unique within its router, from 1.</param>
/// <param name="Instance">The instance chosen.</param>
/// <param name="Tokens">The tokens the request was estimated to cost (prompt and generation).</param>
public readonly record struct RouteTicket(long Id, int Instance, long Tokens);
