using System.Globalization;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz status</c>'s lines for a model's autoscaler: its settings and its last decisions, newest last.</summary>
internal static class AutoscaleLines
{
    // Decisions shown per model (the status carries up to 20).
    public const int Shown = 5;

    public static void Write(ModelStatus model, TextWriter o)
    {
        if (model.Autoscale is not { } a)
        {
            o.WriteLine($"{"",-16} autoscaler off (fixed instance count)");
            return;
        }
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-16} autoscaler: {a.MinInstances} to {a.MaxInstances} instances, prefill {a.PrefillScaleDown}/{a.PrefillScaleUp}, decode {a.DecodeScaleDown}/{a.DecodeScaleUp}, scale-down delay {a.ScaleDownDelayMs} ms, tick {a.TickIntervalMs} ms"));
        var decisions = model.Scaling ?? [];
        if (decisions.Count == 0) o.WriteLine($"{"",-16}   no scaling decision yet");
        foreach (var d in decisions.TakeLast(Shown))
        {
            string failed = d.Error is null ? "" : $" — failed: {d.Error}";
            o.WriteLine($"{"",-16}   {d.At.UtcDateTime:HH:mm:ss.fff} {d.Action} {d.From} → {d.To}: {d.Reason}{failed}");
            o.WriteLine($"{"",-16}     {d.Signals}");
        }
    }
}
