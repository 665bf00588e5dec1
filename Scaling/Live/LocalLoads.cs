namespace BlitzScale.Scaling.Live;

/// <summary>
/// The loading instances whose whole image comes from inside their own host, from sources that already hold it (the host
/// copy over PCIe, a GPU beside them over NVLink): they do not pair live (<see cref="StaysOut"/>). A load planned again (a
/// refeed) is judged again by its new plan; an instance that leaves is forgotten.
/// </summary>
/// <remarks>
/// Such a load is over in about a second (the host copy at 4.4 × the link's rate, NVLink faster still), and a pair could give
/// little in it: the busy instance, overloaded, pulls the LiveNew's first request only after hundreds of milliseconds (672 ms
/// in one bench live run), while the requests the router sent to the LiveNew, the burst's earliest, wait there for the load's
/// end and later arrivals start on the busy instance first. bench live with code-shaped requests (1,469 in, 13 out), three
/// rounds each at 9f71dcf, where such a load takes 0.92–1.0 s: blitz ÷ blitz-fast 1.156, 0.963, 0.913 pairing it, 0.863,
/// 0.818, 0.898 not (with splits from a quarter of the layers, <see cref="Routing.RequestRouter.MinSplitShare"/>). Before
/// 9f71dcf the emulated copy took 1.2–1.4 s and pairing it paid with such requests (0.804–0.905 against 0.923–1.051); with
/// requests bound by the busy instance's seats it never did, and over NVLink (0.24 s here) a pair only slowed the load.
/// Measured again at bddff4c, after the busy instance came to pull at once and run split tails first (66ba5d3, 030cb6f), the
/// same command with <c>--policies blitz,blitz-fast</c>, pairing it against not, one after the other: 0.856 (1.037, 0.856,
/// 0.773) against 0.831 (0.721, 0.838, 0.831). Paired, the burst's first requests fared better (blitz's p99 over those that
/// arrived before the first new instance was whole, 0.59 of blitz-fast's against 0.83), but the network load then paired
/// only once this one was whole, with it, and its requests waited 0.7–0.9 s; with the busy instance's own prompts run before
/// split tails as well, 0.855 (0.855, 0.835, 0.857): the first requests as well served, the later ones no better.
/// </remarks>
public sealed class LocalLoads : LoadMarks
{
    /// <summary>Whether <paramref name="instance"/> stays out of live pairs: its current load comes from inside its host.</summary>
    public bool StaysOut(int instance) => Marked(instance);
}
