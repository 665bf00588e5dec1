using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Routing;

/// <summary>Why a request could not be routed: no instance takes requests. Says how many instances are in each state and why the failed ones failed.</summary>
/// <param name="Counts">Instances per state, every state listed.</param>
/// <param name="Failures">The failed instances as <c>"{shard}: {reason}"</c>, by index.</param>
public sealed record NoInstance(IReadOnlyDictionary<InstanceState, int> Counts, IReadOnlyList<string> Failures)
{
    /// <summary><c>"no instance takes requests (2 Loading, 1 Failed: m/3/0: out of memory)"</c>.</summary>
    public string Reason
    {
        get
        {
            var states = Counts.Where(c => c.Value > 0).Select(c => $"{c.Value} {c.Key}").ToList();
            string detail = states.Count == 0 ? "there are no instances" : string.Join(", ", states);
            if (Failures.Count > 0) detail += ": " + string.Join("; ", Failures);
            return $"no instance takes requests ({detail})";
        }
    }

    /// <summary>The <see cref="Reason"/>.</summary>
    public override string ToString() => Reason;

    /// <summary>Value equality over the counts and failures (a record compares collections by reference otherwise).</summary>
    public bool Equals(NoInstance? other) =>
        other is not null && Counts.OrderBy(c => c.Key).SequenceEqual(other.Counts.OrderBy(c => c.Key)) && Failures.SequenceEqual(other.Failures);

    /// <summary>A hash consistent with <see cref="Equals(NoInstance?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var count in Counts.OrderBy(c => c.Key)) hash.Add(count);
        foreach (string failure in Failures) hash.Add(failure);
        return hash.ToHashCode();
    }
}
