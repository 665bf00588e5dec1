using BlitzScale.Scaling.Routing;

namespace BlitzScale.Scaling.Live;

/// <summary>
/// The loading instances whose whole image comes from inside their own host, from sources that already hold it (a GPU
/// beside them over NVLink, the host copy over PCIe): they pair live only where that pays (<see cref="LivePartners.PairsWithinHost"/>),
/// and a load from a neighbour over NVLink never does (<see cref="StaysOut"/>).
/// A load planned again (a refeed) is judged again by its new plan; an instance that leaves is forgotten.
/// </summary>
public sealed class LocalLoads
{
    // Each instance loading from inside its host, and whether from neighbour GPUs alone (NVLink).
    private readonly Dictionary<int, bool> _local = [];

    /// <summary>Whether <paramref name="instance"/>'s current load comes from inside its host.</summary>
    public bool Contains(int instance) => _local.ContainsKey(instance);

    /// <summary>
    /// Whether <paramref name="instance"/> stays out of live pairs: its load comes from inside its host, and either from a
    /// neighbour GPU over NVLink or with requests of <paramref name="mix"/> on <paramref name="seats"/> that do not pay
    /// (<see cref="LivePartners.PairsWithinHost"/>).
    /// </summary>
    /// <remarks>
    /// An NVLink load is over before a pair could give anything: llama3-8b's 16 GB cross an H200's NVLink in tens of ms, less
    /// than one prefill step of a 2,048-token prompt (about 45 ms on the profile), and on the testbed 0.24 s, against 0.37 s
    /// paired. In bench replay --hosts 2 --gpus 2 with the code trace's prompts (66d3cac) such a pair gave its split requests
    /// 53–61 ms between tokens against 34–38 unpaired, beyond the load, for nothing earlier. A host copy's load (about 1.2 s
    /// here) is long enough for a pair to pay with prefill-heavy requests: bench live's code-shaped rounds, 0.804–0.905 ×
    /// blitz-fast paired against 0.923–1.051 not.
    /// </remarks>
    public bool StaysOut(int instance, RequestMix? mix, InstanceSeats? seats) =>
        _local.TryGetValue(instance, out bool fromNeighbour) && (fromNeighbour || !LivePartners.PairsWithinHost(mix, seats));

    /// <summary><paramref name="instance"/>'s load was planned (again): whether it comes from inside its host, and whether from neighbour GPUs alone (NVLink).</summary>
    public void Learn(int instance, bool local, bool fromNeighbour = false)
    {
        if (local) _local[instance] = fromNeighbour;
        else _local.Remove(instance);
    }

    /// <summary><paramref name="instance"/> is gone.</summary>
    public void Forget(int instance) => _local.Remove(instance);
}
