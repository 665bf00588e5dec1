namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>Which side of a live pair a shard is.</summary>
public enum LiveRole
{
    /// <summary>Loading: serves with the layers landed so far and hands each request's tail to its partner.</summary>
    New,
    /// <summary>Serving: also runs the tails of the split requests it pulls from its partner.</summary>
    Old,
    /// <summary>
    /// Loading, its layers landing last first: runs the tails of the split requests it pulls from its partner (loading first
    /// layers first) with the layers and head it holds, and takes no requests of its own until its load completes.
    /// </summary>
    Tail,
}

/// <summary>Tells a shard it is half of a live pair (live scaling) and who the other half is.</summary>
/// <param name="Role">This shard's side.</param>
/// <param name="PartnerShard">The other shard's key.</param>
/// <param name="PartnerHost">The other shard's host (its calls are placed there).</param>
/// <param name="SplitCap">
/// For a LiveNew beside a <see cref="LiveRole.Tail"/>: the layer it runs its requests to at most before handing them over
/// (the split nearest half the layers that its partner's landed layers allow; a LiveNew switching from a busy partner keeps it
/// no lower than the layers its requests may already have run); 0 for none, as beside a serving instance.
/// </param>
[GenerateSerializer, Immutable, Alias("blitz.LivePairing")]
public sealed record LivePairing([property: Id(0)] LiveRole Role, [property: Id(1)] string PartnerShard, [property: Id(2)] string PartnerHost,
    [property: Id(3)] int SplitCap = 0);
