namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>The life of a model instance (see DESIGN.md).</summary>
public enum InstanceState
{
    /// <summary>Not placed.</summary>
    Inactive,
    /// <summary>Parameters arriving.</summary>
    Loading,
    /// <summary>Serving requests.</summary>
    Serving,
    /// <summary>Finishing its requests before stopping.</summary>
    Draining,
    /// <summary>Stopped, parameters kept on the GPU.</summary>
    Warm,
    /// <summary>Could not load or serve; see the error.</summary>
    Failed,
    /// <summary>Still loading, and already serving with the layers it holds beside a <see cref="LiveOld"/> partner (live scaling).</summary>
    LiveNew,
    /// <summary>Serving, and running the remaining layers for a <see cref="LiveNew"/> partner.</summary>
    LiveOld,
    /// <summary>Still loading, last layers first, and running the remaining layers for a <see cref="LiveNew"/> partner (loads in complementary orders).</summary>
    LiveTail,
}
