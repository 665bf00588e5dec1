using Orleans.Placement;

namespace BlitzScale.Grains.Placement;

/// <summary>
/// Places a grain on the silo of one host: for a GPU grain the host in its key (<c>"{host}/gpu{i}"</c>), for
/// any other grain the host named by the caller in <see cref="HostContext"/>.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("blitz.GpuHostPlacement")]
public sealed class GpuHostPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static GpuHostPlacement Singleton { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="GpuHostPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuHostPlacementAttribute() : PlacementAttribute(GpuHostPlacement.Singleton);
