namespace BlitzScale.Grains.Serving;

/// <summary>The model grain's view of one instance: where it runs, whether it holds the whole model, and how many tokens it still owes.</summary>
internal sealed class InstanceSlot(int index, string shard, string gpu, string host)
{
    public int Index { get; } = index;
    public string Shard { get; } = shard;
    public string Gpu { get; } = gpu;
    public string Host { get; } = host;
    /// <summary>Prompt and generation tokens of the requests routed here and not finished (an estimate until they finish).</summary>
    public long OutstandingTokens { get; set; }
    /// <summary>Whether it holds every parameter (it may then feed new instances).</summary>
    public bool Loaded { get; set; }
    /// <summary>Scaled down with its parameters kept: takes no requests, may be revived or evicted.</summary>
    public bool Warm { get; set; }
    /// <summary>Whether it failed (from its event or the last status read).</summary>
    public bool Failed { get; set; }
    /// <summary>How many times its load was planned again after losing a source.</summary>
    public int Replans { get; set; }
    /// <summary>Why it failed.</summary>
    public string? Error { get; set; }

    /// <summary>Counts towards the instances asked for: loading or serving, not Warm, not failed.</summary>
    public bool Active => !Warm && !Failed;
}
