namespace BlitzScale.Scaling.Autoscaling;

/// <summary>One decision of the autoscaler: what to do, from how many active instances to how many, why, and on what load.</summary>
/// <param name="Action">Up, down, or nothing.</param>
/// <param name="From">Active instances (loading ones counted) when deciding.</param>
/// <param name="To">Active instances wanted.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Signals">The load it was decided on.</param>
/// <param name="Drain">On <see cref="ScalingAction.Down"/>: the instance to drain (the newest serving one).</param>
public sealed record ScalingDecision(ScalingAction Action, int From, int To, string Reason, ScalingSignals Signals, int? Drain = null)
{
    /// <summary>Instances added or removed.</summary>
    public int Count => Math.Abs(To - From);

    /// <summary>One line for events, logs and <c>blitz status</c>.</summary>
    public override string ToString() => $"{Action.ToString().ToLowerInvariant()} {From} → {To}: {Reason}; {Signals}";
}
