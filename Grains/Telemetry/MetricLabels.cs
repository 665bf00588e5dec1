namespace BlitzScale.Grains.Telemetry;

/// <summary>Label names shared by the metrics; <c>model_name</c> is vLLM's.</summary>
internal static class MetricLabels
{
    public const string Model = "model_name";
    public const string FinishedReason = "finished_reason";
    public const string Instance = "instance";
    public const string State = "state";
    public const string Link = "link";
    public const string Source = "source";
    public const string Reason = "reason";
    public const string Host = "host";
}
