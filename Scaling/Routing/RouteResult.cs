namespace BlitzScale.Scaling.Routing;

/// <summary>The router's answer: a ticket, or why there is no instance to take the request. Back-pressure is a value, not an exception.</summary>
public readonly record struct RouteResult
{
    private RouteResult(RouteTicket? ticket, NoInstance? noInstance)
    {
        Ticket = ticket;
        NoInstance = noInstance;
    }

    /// <summary>The ticket when routed.</summary>
    public RouteTicket? Ticket { get; }

    /// <summary>Why not, when not routed.</summary>
    public NoInstance? NoInstance { get; }

    /// <summary>Whether the request was routed (<see cref="Ticket"/> is set).</summary>
    public bool Routed => Ticket is not null;

    internal static RouteResult To(RouteTicket ticket) => new(ticket, null);

    internal static RouteResult Refused(NoInstance why) => new(null, why);
}
