namespace BlitzScale.Scaling.Live;

/// <summary>
/// The loading instances whose layers land last first (a descending feed: the head, then the last layer, down to the
/// embedding), as the feed plans said: the halves of loads in complementary orders that run the rest of a partner's requests
/// (<see cref="Instances.InstanceState.LiveTail"/>). A load planned again is judged again by its new plan; an instance that
/// leaves is forgotten.
/// </summary>
public sealed class TailLoads : LoadMarks
{
    /// <summary>Whether <paramref name="instance"/>'s current load lands its layers last first.</summary>
    public bool LoadsLastFirst(int instance) => Marked(instance);
}
