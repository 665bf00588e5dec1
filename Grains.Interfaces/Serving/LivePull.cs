namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// What a LiveNew instance handed its LiveOld partner when it pulled: the request now split, where, and how many positions
/// it may reach. LiveOld reserves the request's KV blocks at once, before its first step arrives, so the blocks that made
/// room for the pull are not given to another request meanwhile.
/// </summary>
/// <param name="RequestId">The request (LiveNew's id for it).</param>
/// <param name="FirstLayer">The split layer j: LiveOld runs [j, L) and the head.</param>
/// <param name="Positions">Positions the request may reach (prompt + max tokens).</param>
[GenerateSerializer, Immutable, Alias("blitz.LivePull")]
public sealed record LivePull([property: Id(0)] string RequestId, [property: Id(1)] int FirstLayer, [property: Id(2)] int Positions);
