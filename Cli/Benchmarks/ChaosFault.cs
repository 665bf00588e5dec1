namespace BlitzScale.Cli.Benchmarks;

/// <summary>What bench chaos does to the testbed.</summary>
internal enum ChaosFaultKind
{
    /// <summary>SIGKILL of the silo of a host holding a serving instance; started again after the hold.</summary>
    SiloKill,
    /// <summary>A scale-up loads a new instance from one peer GPU; once part of it landed, the source's silo is SIGKILLed (started again after the hold).</summary>
    SourceKill,
    /// <summary>A host's link rate (both directions) divided by the divisor for the hold, then restored.</summary>
    LinkDegrade,
}

/// <summary>The command-line names of the faults.</summary>
internal static class ChaosFaultKinds
{
    public const string Names = "silo-kill, source-kill, link-degrade";

    public static string Name(ChaosFaultKind kind) => kind switch
    {
        ChaosFaultKind.SiloKill => "silo-kill",
        ChaosFaultKind.SourceKill => "source-kill",
        _ => "link-degrade",
    };

    /// <summary>A comma-separated list of fault names, each at most once.</summary>
    /// <exception cref="ArgumentException">An unknown or repeated name, or none.</exception>
    public static IReadOnlyList<ChaosFaultKind> Parse(string list)
    {
        var kinds = new List<ChaosFaultKind>();
        foreach (string name in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kind = name.ToLowerInvariant() switch
            {
                "silo-kill" => ChaosFaultKind.SiloKill,
                "source-kill" => ChaosFaultKind.SourceKill,
                "link-degrade" => ChaosFaultKind.LinkDegrade,
                _ => throw new ArgumentException($"--faults: expected {Names}, found \"{name}\""),
            };
            if (kinds.Contains(kind)) throw new ArgumentException($"--faults: \"{name}\" is given twice; each fault at most once");
            kinds.Add(kind);
        }
        if (kinds.Count == 0) throw new ArgumentException($"--faults: name at least one of {Names}");
        return kinds;
    }
}

/// <summary>
/// One fault as planned from the seed: when it starts (seconds from the replay's start), how long it holds, which of the
/// candidates it picks when it happens (<see cref="Pick"/> modulo their count), and for a source kill after what share of the
/// new instance's layers the source dies.
/// </summary>
internal sealed record ChaosFault(int Order, ChaosFaultKind Kind, double AtSeconds, double HoldSeconds, int Pick, double KillAtLayerShare)
{
    public string Name => ChaosFaultKinds.Name(Kind);

    /// <summary>Layers that must have landed before a source kill: at least one, never all.</summary>
    public int KillAfterLayers(int totalLayers) => Math.Clamp((int)Math.Ceiling(KillAtLayerShare * totalLayers), 1, Math.Max(1, totalLayers - 1));
}
