using Spectre.Console;

namespace BlitzScale.Cli.Progress;

/// <summary>A Spectre.Console progress bar per loading instance (layers, MB, MB/s, then the outcome and its feeds).</summary>
internal sealed class LiveLoadView(ProgressContext context) : ILoadView
{
    private readonly Dictionary<string, ProgressTask> _tasks = [];

    // Spectre's progress display hooks console writes, so lines written during it appear above the bars.
    public void Line(string text) => AnsiConsole.WriteLine(text);

    public void Update(InstanceLoad load, bool layerLanded)
    {
        if (!_tasks.TryGetValue(load.Shard, out var task))
        {
            task = context.AddTask(load.Shard, maxValue: Math.Max(1, load.TotalBytes));
            _tasks[load.Shard] = task;
        }
        task.MaxValue = Math.Max(1, load.TotalBytes);
        task.Value = load.Bytes;
        task.Description = Markup.Escape(Describe(load));
        if (load.Finished)
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    internal static string Describe(InstanceLoad load) => load.Outcome switch
    {
        null => $"{load.Shard} on {load.Gpu}: {load.LoadedLayers}/{load.TotalLayers} layers, "
            + $"{load.Bytes / 1e6:F1}/{load.TotalBytes / 1e6:F1} MB, {load.BytesPerSecond / 1e6:F1} MB/s",
        var outcome => $"{load.Shard} on {load.Gpu}: {outcome} ({load.Detail})",
    };
}
