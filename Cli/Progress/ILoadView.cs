namespace BlitzScale.Cli.Progress;

/// <summary>Where a deploy's or scale's loading progress is shown: a live terminal display or plain lines.</summary>
internal interface ILoadView
{
    /// <summary>A line to show as it is (the plan, an instance's state).</summary>
    void Line(string text);

    /// <summary>An instance moved forward: <paramref name="layerLanded"/> when a whole layer landed, not only bytes.</summary>
    void Update(InstanceLoad load, bool layerLanded);
}
