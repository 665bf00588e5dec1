namespace BlitzScale.Scaling.Instances;

/// <summary>The life of one model instance (DESIGN.md, "instance states").</summary>
public enum InstanceState
{
    /// <summary>Not placed: holds no parameters.</summary>
    Inactive,

    /// <summary>Parameters arriving; takes no requests.</summary>
    Loading,

    /// <summary>
    /// Still loading, but cooperating with a <see cref="LiveOld"/> partner: runs the layers it holds and hands the
    /// activations over. Always holds at least one layer.
    /// </summary>
    LiveNew,

    /// <summary>Holds every layer and serves requests.</summary>
    Serving,

    /// <summary>A serving instance that runs the remaining layers for its <see cref="LiveNew"/> partner while serving its own requests.</summary>
    LiveOld,

    /// <summary>Scaled down: finishes the requests it holds and takes no new ones.</summary>
    Draining,

    /// <summary>Stopped with every parameter kept on the GPU: revivable at once, evictable when the memory is needed.</summary>
    Warm,

    /// <summary>Could not load or serve; see the failure reason.</summary>
    Failed,

    /// <summary>
    /// Still loading, its layers landing last first, and running the remaining layers and the head for a <see cref="LiveNew"/>
    /// partner whose layers land first first (loads in complementary orders); takes no requests of its own until it holds
    /// every layer, when it becomes <see cref="LiveOld"/>.
    /// </summary>
    LiveTail,
}
