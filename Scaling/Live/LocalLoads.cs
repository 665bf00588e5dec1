using BlitzScale.Scaling.Routing;

namespace BlitzScale.Scaling.Live;

/// <summary>
/// The loading instances whose whole image comes from inside their own host, from sources that already hold it (a GPU
/// beside them over NVLink, the host copy over PCIe): they pair live only where that pays (<see cref="LivePartners.PairsWithinHost"/>).
/// A load planned again (a refeed) is judged again by its new plan; an instance that leaves is forgotten.
/// </summary>
public sealed class LocalLoads
{
    private readonly HashSet<int> _local = [];

    /// <summary>Whether <paramref name="instance"/>'s current load comes from inside its host.</summary>
    public bool Contains(int instance) => _local.Contains(instance);

    /// <summary>
    /// Whether <paramref name="instance"/> stays out of live pairs: its load comes from inside its host and does not pay with
    /// requests of <paramref name="mix"/> on <paramref name="seats"/> (<see cref="LivePartners.PairsWithinHost"/>).
    /// </summary>
    public bool StaysOut(int instance, RequestMix? mix, InstanceSeats? seats) => Contains(instance) && !LivePartners.PairsWithinHost(mix, seats);

    /// <summary><paramref name="instance"/>'s load was planned (again): whether it comes from inside its host.</summary>
    public void Learn(int instance, bool local)
    {
        if (local) _local.Add(instance);
        else _local.Remove(instance);
    }

    /// <summary><paramref name="instance"/> is gone.</summary>
    public void Forget(int instance) => _local.Remove(instance);
}
