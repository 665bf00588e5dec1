namespace BlitzScale.Scaling.Autoscaling;

/// <summary>What the autoscaler decided at a tick.</summary>
public enum ScalingAction
{
    /// <summary>Keep the instances as they are.</summary>
    None,
    /// <summary>Add instances (revive Warm ones first, then load new ones).</summary>
    Up,
    /// <summary>Drain one instance into Warm.</summary>
    Down,
}
