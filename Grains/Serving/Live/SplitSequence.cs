using BlitzScale.Native.Sampling;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving.Live;

// A split request as the instance running its tail sees it (from the pull on, before its first step arrives): its KV blocks for layers [FirstLayer, L), its sampler, and the
// step waiting to run, and the partner (its shard) that sent it. Only InstanceServer touches it, under its lock (the sampler on
// the device thread).
internal sealed class SplitSequence(string id, int firstLayer, int positions, Sampler? sampler, string? partner)
{
    public string Id { get; } = id;
    public string? Partner { get; } = partner;
    // 0 once the partner moved the KV of [0, j) here: the request runs whole here from then on.
    public int FirstLayer { get; set; } = firstLayer;
    public int Positions { get; } = positions;
    // Null while the request is only expected (pulled, its first step not yet here): its sampling comes with that step.
    public Sampler? Sampler { get; set; } = sampler;
    public KvBlockTable Kv { get; } = new();
    // Blocks reserved: it has been pulled in and runs with the instance's own requests.
    public bool Admitted { get; set; }
    public SplitWork? Pending { get; set; }
    public TaskCompletionSource<int>? Result { get; set; }
    public bool InFlight { get; set; }
    public bool EndRequested { get; set; }
}
