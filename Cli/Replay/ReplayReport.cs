using System.Text.Json.Serialization;

namespace BlitzScale.Cli.Replay;

/// <summary>What <c>blitz replay</c> prints and writes: the setting, the cluster's backend and the one run.</summary>
internal sealed class ReplayReport
{
    public required string Cluster { get; init; }
    public required ReplaySetting Setting { get; init; }
    /// <summary>The backends of the GPUs holding the model, in words (a timed one names its profile and dilation).</summary>
    public IReadOnlyList<string> Backends { get; set; } = [];
    /// <summary>Every time is as measured (wall clock; a timed backend's dilation included).</summary>
    public string Times => "seconds and ms as measured (wall clock, a timed backend's dilation included)";
    public required ReplayResult Run { get; init; }

    [JsonIgnore] public bool Failed => Run.Failed;
}
