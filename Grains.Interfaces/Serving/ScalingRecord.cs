namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>One decision of a model's autoscaler that changed its instances, as <c>blitz status</c> and the replay report show it.</summary>
/// <param name="At">When it was decided.</param>
/// <param name="Action">"up", "down", or "release" (a Warm instance kept past its keep gave its GPU back; the counts of active instances do not change).</param>
/// <param name="From">Active instances before (loading ones counted).</param>
/// <param name="To">Active instances wanted.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Signals">The load it was decided on, in words.</param>
/// <param name="Error">Why carrying it out failed; null when it was carried out.</param>
[GenerateSerializer, Immutable, Alias("blitz.ScalingRecord")]
public sealed record ScalingRecord(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Action,
    [property: Id(2)] int From,
    [property: Id(3)] int To,
    [property: Id(4)] string Reason,
    [property: Id(5)] string Signals,
    [property: Id(6)] string? Error = null);
