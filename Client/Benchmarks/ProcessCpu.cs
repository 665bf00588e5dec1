using System.Diagnostics;
using System.Globalization;

namespace BlitzScale.Client.Benchmarks;

/// <summary>
/// CPU time of a set of processes (utime + stime from <c>/proc/PID/stat</c>) and of the whole machine (<c>/proc/stat</c>)
/// between <see cref="Start"/> and <see cref="Stop"/>: how many cores the silos kept busy during a transfer. Linux only;
/// a process that exits meanwhile counts what it used until its last reading.
/// </summary>
internal sealed class ProcessCpu
{
    private readonly Dictionary<int, double> _start;
    private readonly MachineTicks _machineStart;
    private readonly long _clockStart;

    private ProcessCpu(IEnumerable<int> pids)
    {
        _start = pids.Distinct().ToDictionary(pid => pid, pid => CpuSeconds(pid) ?? 0);
        _machineStart = MachineTicks.Read();
        _clockStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Clock ticks per second of the times in /proc: <c>getconf CLK_TCK</c>, else 100 (the value on every Linux ABI .NET runs on).</summary>
    public static double ClockTicksPerSecond { get; } = ReadClockTick();

    /// <summary>Starts measuring <paramref name="pids"/> and the machine.</summary>
    public static ProcessCpu Start(IEnumerable<int> pids) => new(pids);

    /// <summary>CPU use since <see cref="Start"/>.</summary>
    public CpuUse Stop()
    {
        double wall = Stopwatch.GetElapsedTime(_clockStart).TotalSeconds;
        var machine = MachineTicks.Read();
        var perProcess = _start.ToDictionary(kv => kv.Key, kv => Math.Max(0, (CpuSeconds(kv.Key) ?? kv.Value) - kv.Value));
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
/// <param name="PerProcessCores">Cores busy per process id.</param>
/// <param name="MachineBusyCores">Cores busy on the whole machine (everything, not only the processes).</param>
/// <param name="MachineCores">Cores of the machine.</param>
internal sealed record CpuUse(double WallSeconds, double ProcessCpuSeconds, double ProcessCores,
    IReadOnlyDictionary<int, double> PerProcessCores, double MachineBusyCores, int MachineCores);
