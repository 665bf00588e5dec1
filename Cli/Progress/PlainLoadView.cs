namespace BlitzScale.Cli.Progress;

/// <summary>One line per landed layer and per outcome, for logs, pipes and tests; byte-only progress is not printed.</summary>
internal sealed class PlainLoadView(TextWriter output) : ILoadView
{
    public void Line(string text) => output.WriteLine(text);

    public void Update(InstanceLoad load, bool layerLanded)
    {
        if (load.Outcome is { } outcome)
            output.WriteLine($"{load.Shard}: {outcome}: {load.Detail}");
        else if (layerLanded)
            output.WriteLine($"{load.Shard}: {load.LoadedLayers}/{load.TotalLayers} layers, {load.Bytes / 1e6:F1}/{load.TotalBytes / 1e6:F1} MB, "
                + $"{load.ElapsedMs / 1000:F2} s, {load.BytesPerSecond / 1e6:F1} MB/s");
    }
}
