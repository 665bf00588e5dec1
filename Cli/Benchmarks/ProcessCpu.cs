using System.Diagnostics;
using System.Globalization;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// CPU time of a set of processes (utime + stime from <c>/proc/PID/stat</c>) and of the whole machine (<c>/proc/stat</c>)
/// between <see cref="Start"/> and <see cref="Stop"/>: how many cores the silos kept busy during a transfer. Linux only;
/// a process that exits meanwhile counts what it used until its last reading.
/// </summary>
internal sealed class ProcessCpu
{
    private readonly Dictionary<string, (int Pid, double Seconds)> _start;
    private readonly MachineTicks _machineStart;
    private readonly long _clockStart;

    private ProcessCpu(IReadOnlyDictionary<string, int> processes)
    {
        _start = processes.ToDictionary(kv => kv.Key, kv => (kv.Value, CpuSeconds(kv.Value) ?? 0));
        _machineStart = MachineTicks.Read();
        _clockStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Clock ticks per second of the times in /proc: <c>getconf CLK_TCK</c>, else 100 (the value on every Linux ABI .NET runs on).</summary>
    public static double ClockTicksPerSecond { get; } = ReadClockTick();

    /// <summary>Starts measuring <paramref name="pids"/> and the machine; processes are named by their ids.</summary>
    public static ProcessCpu Start(IEnumerable<int> pids) => new(pids.Distinct().ToDictionary(pid => pid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Starts measuring named processes (name → pid) and the machine.</summary>
    public static ProcessCpu Start(IReadOnlyDictionary<string, int> processes) => new(processes);

    /// <summary>CPU use since <see cref="Start"/>.</summary>
    public CpuUse Stop()
    {
        double wall = Stopwatch.GetElapsedTime(_clockStart).TotalSeconds;
        var machine = MachineTicks.Read();
        var perProcess = _start.ToDictionary(kv => kv.Key, kv => Math.Max(0, (CpuSeconds(kv.Value.Pid) ?? kv.Value.Seconds) - kv.Value.Seconds));
        double total = perProcess.Values.Sum();
        double busyTicks = machine.Busy - _machineStart.Busy, allTicks = machine.Total - _machineStart.Total;
        int cores = Environment.ProcessorCount;
        return new CpuUse(
            Math.Round(wall, 3),
            Math.Round(total, 3),
            wall > 0 ? Math.Round(total / wall, 3) : 0,
            perProcess.ToDictionary(kv => kv.Key, kv => wall > 0 ? Math.Round(kv.Value / wall, 3) : 0),
            allTicks > 0 ? Math.Round(busyTicks / allTicks * cores, 3) : 0,
            cores);
    }

    /// <summary>utime + stime of a process in seconds, or null when it is gone.</summary>
    public static double? CpuSeconds(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ')'.
        // After it, field 3 (state) is index 0, so utime (field 14) is index 11 and stime (15) index 12.
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        string[] fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13) return null;
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    private static double ReadClockTick()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (getconf is not null)
            {
                string output = getconf.StandardOutput.ReadToEnd();
                getconf.WaitForExit();
                if (getconf.ExitCode == 0 && double.TryParse(output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out double tick) && tick > 0)
                    return tick;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no getconf on PATH
        }
        return 100;
    }

    /// <summary>The first line of /proc/stat: busy and total jiffies of all cores (idle and iowait are not busy).</summary>
    private readonly record struct MachineTicks(double Busy, double Total)
    {
        public static MachineTicks Read()
        {
            string? line;
            try
            {
                using var reader = new StreamReader("/proc/stat");
                line = reader.ReadLine();
            }
            catch (IOException)
            {
                return default;
            }
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return default;
            // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
            double[] v = [.. line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(8).Select(f => double.Parse(f, CultureInfo.InvariantCulture))];
            double total = v.Sum(), idle = v.Length > 4 ? v[3] + v[4] : v.Sum();
            return new MachineTicks(total - idle, total);
        }
    }
}

/// <summary>CPU use over an interval.</summary>
/// <param name="WallSeconds">The interval.</param>
/// <param name="ProcessCpuSeconds">CPU seconds the processes used together.</param>
/// <param name="ProcessCores">Those seconds per wall second: cores kept busy by the processes.</param>
/// <param name="PerProcessCores">Cores busy per process (by name, or by id when unnamed).</param>
/// <param name="MachineBusyCores">Cores busy on the whole machine (everything, not only the processes).</param>
/// <param name="MachineCores">Cores of the machine.</param>
internal sealed record CpuUse(double WallSeconds, double ProcessCpuSeconds, double ProcessCores,
    IReadOnlyDictionary<string, double> PerProcessCores, double MachineBusyCores, int MachineCores)
{
    /// <summary>Several intervals as one: seconds summed, cores weighted by each interval's length.</summary>
    public static CpuUse? Combine(IReadOnlyCollection<CpuUse> parts)
    {
        if (parts.Count == 0) return null;
        double wall = parts.Sum(p => p.WallSeconds), cpu = parts.Sum(p => p.ProcessCpuSeconds);
        double Weighted(Func<CpuUse, double> value) => wall > 0 ? Math.Round(parts.Sum(p => value(p) * p.WallSeconds) / wall, 3) : 0;
        var perProcess = parts.SelectMany(p => p.PerProcessCores.Keys).Distinct()
            .ToDictionary(name => name, name => Weighted(p => p.PerProcessCores.GetValueOrDefault(name)));
        return new CpuUse(Math.Round(wall, 3), Math.Round(cpu, 3), wall > 0 ? Math.Round(cpu / wall, 3) : 0, perProcess,
            Weighted(p => p.MachineBusyCores), parts.First().MachineCores);
    }
}
