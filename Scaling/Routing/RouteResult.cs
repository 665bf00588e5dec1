namespace BlitzScale.Scaling.Routing;

/// <summary>
/// The router's answer: a ticket; every instance that takes requests is out of seats (<see cref="Full"/>: the request waits for
/// one, late binding); or why there is no instance to take the request. Back-pressure is a value, not an exception.
/// </summary>
public readonly record struct RouteResult
{
    private RouteResult(RouteTicket? ticket, NoInstance? noInstance, bool full)
    {
        Ticket = ticket;
        NoInstance = noInstance;
        Full = full;
    }

    /// <summary>The ticket when routed.</summary>
    public RouteTicket? Ticket { get; }

    /// <summary>Why not, when not routed.</summary>
    public NoInstance? NoInstance { get; }

    /// <summary>Instances take requests, but none has a free seat now: the request is to wait for a released one.</summary>
    public bool Full { get; }

    /// <summary>Whether the request was routed (<see cref="Ticket"/> is set).</summary>
    public bool Routed => Ticket is not null;

    internal static RouteResult To(RouteTicket ticket) => new(ticket, null, false);

    internal static RouteResult Refused(NoInstance why) => new(null, why, false);

    internal static RouteResult NoSeat() => new(null, null, true);
}
