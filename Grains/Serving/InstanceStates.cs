using Wire = BlitzScale.Grains.Interfaces.Serving.InstanceState;
using Policy = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>The state machine's states as the wire reports them (the same names; the wire enum is what clients see).</summary>
internal static class InstanceStates
{
    public static Wire ToWire(Policy state) => state switch
    {
        Policy.Inactive => Wire.Inactive,
        Policy.Loading => Wire.Loading,
        Policy.LiveNew => Wire.LiveNew,
        Policy.Serving => Wire.Serving,
        Policy.LiveOld => Wire.LiveOld,
        Policy.Draining => Wire.Draining,
        Policy.Warm => Wire.Warm,
        Policy.Failed => Wire.Failed,
        Policy.LiveTail => Wire.LiveTail,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "an instance state the wire does not know"),
    };
}
