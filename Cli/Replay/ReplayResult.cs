using System.Text.Json.Serialization;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Replay;

/// <summary>One replay of a schedule against one deployed model: its figures, every request and every cluster sample.</summary>
internal sealed class ReplayResult
{
    /// <summary>The load policy it ran under (bench replay), null for <c>blitz replay</c> against a model deployed beforehand.</summary>
    public string? Policy { get; init; }
    public required string ModelName { get; init; }
    /// <summary>How it was deployed, in words (bench replay).</summary>
    public string? Deployment { get; set; }
    /// <summary>Deploy request to every instance serving, as the client saw it (bench replay).</summary>
    public double? DeploySeconds { get; set; }
    public ReplayFigures? Figures { get; set; }
    /// <summary>Cluster reads that failed (each a missing sample).</summary>
    public int FailedSamples { get; set; }
    public string? Error { get; set; }
    /// <summary>The autoscaler's decisions during the replay (up, down, release: why, the signals, from → to); empty without an autoscaler.</summary>
    public IReadOnlyList<ScalingRecord> Decisions { get; set; } = [];
    /// <summary>The instances that loaded during the replay: GPU, source, load time, when first seen and when serving.</summary>
    public IReadOnlyList<ReplayLoad> Loads { get; set; } = [];
    /// <summary>Every request, in schedule order (left out of the summary printed on stdout).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ReplayRequest>? Log { get; set; } = [];
    /// <summary>The cluster every <see cref="ClusterSampler.Interval"/> (left out of the summary printed on stdout).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ClusterSample>? Samples { get; set; } = [];

    /// <summary>Whether it stopped early, or any request failed or was lost.</summary>
    [JsonIgnore] public bool Failed => Error is not null || Figures is null || Figures.Failed > 0 || Figures.Lost > 0;

    public void DropLogs()
    {
        Log = null;
        Samples = null;
    }
}
