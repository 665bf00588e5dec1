using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// How busy one instance's device was over a span of <c>bench live</c>'s load: the share of the span spent in steps, and
/// the share spent on split requests' tails (a LiveOld's; 0 elsewhere).
/// </summary>
/// <param name="Instance">The instance.</param>
/// <param name="Role">"serving" (serving before the scale) or "live-new" (a new instance, while it served live).</param>
/// <param name="Seconds">The span.</param>
/// <param name="StepShare">Step time ÷ the span.</param>
/// <param name="SplitShare">Step time on split requests' tails ÷ the span.</param>
internal sealed record LiveBusy(int Instance, string Role, double Seconds, double StepShare, double SplitShare);

/// <summary>
/// The instances' step-time counters (<see cref="InstanceStatus.StepSeconds"/>) read at each of the scale's status polls:
/// the first and last read of each instance serving before the scale, and the last read of each new one as a LiveNew
/// (when it becomes whole its counters start again with its full server).
/// </summary>
internal sealed class LiveBusyReads(double scaleAtS)
{
    private readonly Dictionary<int, (double At, double Step, double Split)> _first = [], _last = [], _live = [];

    /// <summary>One poll's statuses at <paramref name="now"/> (seconds from the run's origin).</summary>
    public void Read(IEnumerable<InstanceStatus> instances, IReadOnlySet<int> serving, double now)
    {
        foreach (var i in instances)
        {
            var read = (now, i.StepSeconds, i.SplitStepSeconds);
            if (serving.Contains(i.Instance))
            {
                _first.TryAdd(i.Instance, read);
                _last[i.Instance] = read;
            }
            else if (i.State == InstanceState.LiveNew)
            {
                _live[i.Instance] = read;
            }
        }
    }

    /// <summary>The figures of every instance read: serving ones first, by instance.</summary>
    public IReadOnlyList<LiveBusy> Figures()
    {
        var figures = new List<LiveBusy>();
        foreach (var (instance, first) in _first.OrderBy(p => p.Key))
        {
            var last = _last[instance];
            if (last.At > first.At) figures.Add(Busy(instance, "serving", last.At - first.At, last.Step - first.Step, last.Split - first.Split));
        }
        foreach (var (instance, last) in _live.OrderBy(p => p.Key))
        {
            if (last.At > scaleAtS) figures.Add(Busy(instance, "live-new", last.At - scaleAtS, last.Step, last.Split));
        }
        return figures;
    }

    private static LiveBusy Busy(int instance, string role, double seconds, double step, double split) =>
        new(instance, role, Math.Round(seconds, 3), Math.Round(step / seconds, 3), Math.Round(split / seconds, 3));
}
