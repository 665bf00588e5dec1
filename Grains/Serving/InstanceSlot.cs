namespace BlitzScale.Grains.Serving;

/// <summary>The model grain's view of one instance: where it runs and how many tokens it still owes.</summary>
internal sealed class InstanceSlot(int index, string shard, string gpu, string host)
{
    public int Index { get; } = index;
    public string Shard { get; } = shard;
    public string Gpu { get; } = gpu;
    public string Host { get; } = host;
    /// <summary>Prompt and generation tokens of the requests routed here and not finished (an estimate until they finish).</summary>
    public long OutstandingTokens { get; set; }
    /// <summary>Whether the last status read found it failed.</summary>
    public bool Failed { get; set; }
    /// <summary>Why it failed, from the last status read.</summary>
    public string? Error { get; set; }
}
