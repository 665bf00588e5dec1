using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The multi-host testbed of <c>testbed/testbed.sh</c> as the testbed benchmarks drive it: brought up with one silo
/// per emulated host, probed with <c>blitz bench link</c> between namespaces, faulted (a silo killed and started again, a
/// link's rate changed) and torn down.
/// </summary>
internal sealed class MulticastTestbed
{
    /// <summary>The cluster id testbed.sh gives its silos.</summary>
    public const string ClusterId = "testbed";
    /// <summary>The bridge address Redis listens on.</summary>
    public const string BridgeAddress = "10.222.0.254";
    private const int LinkProbePort = 7200;

    private readonly string _script;
    private readonly Action<string> _progress;

    private MulticastTestbed(string script, string state, int hosts, int redisPort, Action<string> progress)
    {
        _script = script;
        StateDirectory = state;
        Hosts = hosts;
        RedisEndpoint = $"{BridgeAddress}:{redisPort}";
        _progress = progress;
    }

    public string StateDirectory { get; }
    public int Hosts { get; }
    public string RedisEndpoint { get; }

    /// <summary>The host names <c>h1 … hN</c>.</summary>
    public static string HostName(int index) => $"h{index}";

    /// <summary>The address of host <c>h{index}</c> on the testbed bridge.</summary>
    public static string Address(int index) => $"10.222.0.{index}";

    /// <summary>Each emulated GPU's memory unless a bench sizes it (<see cref="GpuMemoryFor"/>: long prompts' KV blocks, many seats).</summary>
    public const double DefaultGpuMemoryGiB = 2;

    /// <summary>
    /// The emulated GPU's memory for an instance of <paramref name="instanceBytes"/> (parameters and KV blocks): the benches'
    /// 2 GiB, or the instance's bytes with an eighth to spare, in quarter GiB. The timed backend allocates no KV, so only the
    /// accounting grows; long prompts (the code trace's, up to 4,095 tokens) or many seats need KV blocks that 2 GiB does not hold.
    /// </summary>
    internal static double GpuMemoryFor(long instanceBytes) =>
        Math.Max(DefaultGpuMemoryGiB, Math.Ceiling(instanceBytes * 1.125 / (1L << 30) * 4) / 4);

    /// <summary>
    /// Refuses a bench that brings the testbed up when this process is not root, before it makes anything (a synthetic
    /// model takes seconds and hundreds of MB): testbed.sh would refuse only after, and its <c>down</c> then fails the same way.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not root.</exception>
    public static void RequireRoot(string bench) => RequireRoot(bench, Environment.IsPrivilegedProcess);

    /// <inheritdoc cref="RequireRoot(string)"/>
    internal static void RequireRoot(string bench, bool privileged)
    {
        if (!privileged)
            throw new InvalidOperationException(
                $"{bench} brings up a testbed of network namespaces, veth links and tc shaping, which needs root (CAP_NET_ADMIN); run it with sudo");
    }

    /// <summary>A testbed description; nothing runs until <see cref="Up"/>.</summary>
    public static MulticastTestbed Create(string? script, string state, int hosts, int redisPort, Action<string> progress) =>
        new(script ?? FindScript(), state, hosts, redisPort, progress);

    /// <summary>Runs <c>testbed.sh up</c> with silos started through this very <c>blitz</c>; throws with the script's own message when it fails.</summary>
    public Task Up(int linkMbit, double gpuMemoryGiB, double storageMBps, CancellationToken cancellation, int gpus = 1, string siloArgs = "",
        int cpusPerHost = 0) =>
        Script(["up", "--hosts", $"{Hosts}", "--link-mbit", $"{linkMbit}", "--gpu-memory-gib", $"{gpuMemoryGiB}", "--gpus", $"{gpus}",
            "--silo-args", FormattableString.Invariant($"--storage-mbps {storageMBps} {siloArgs}").TrimEnd(), "--cpus-per-host", $"{cpusPerHost}",
            "--state", StateDirectory, "--redis-port", $"{RedisEndpoint.Split(':')[1]}", "--blitz", string.Join(' ', BlitzCommandLine())], cancellation);

    /// <summary>Runs <c>testbed.sh down</c> (idempotent).</summary>
    public Task Down(CancellationToken cancellation) => Script(["down", "--state", StateDirectory], cancellation);

    /// <summary>SIGKILLs host <paramref name="host"/>'s silo (<c>testbed.sh kill</c>): a crash, no shutdown.</summary>
    public Task Kill(string host, CancellationToken cancellation) => Script(["kill", host, "--state", StateDirectory], cancellation);

    /// <summary>Starts host <paramref name="host"/>'s silo again with its first command line; returns once it logged its start line.</summary>
    public Task Start(string host, CancellationToken cancellation) => Script(["start", host, "--state", StateDirectory], cancellation);

    /// <summary>Sets host <paramref name="host"/>'s link rate (both directions), or with null the rate <c>up</c> gave every link.</summary>
    public Task Shape(string host, int? mbit, CancellationToken cancellation) =>
        Script(["shape", host, mbit is { } m ? $"{m}" : "restore", "--state", StateDirectory], cancellation);

    /// <summary>The end of a benchmark: takes the testbed down, or with <paramref name="keep"/> (--keep-testbed) leaves it up and says how to remove it.</summary>
    public async Task Finish(bool keep, Action<string> progress)
    {
        if (keep)
        {
            progress($"testbed kept up (--keep-testbed): testbed/testbed.sh down --state {StateDirectory} removes it");
            return;
        }
        progress("testbed down");
        await Down(CancellationToken.None);
    }

    /// <summary>The silo processes (host → pid), from the pid files <c>up</c> wrote.</summary>
    public IReadOnlyDictionary<string, int> Silos()
    {
        var silos = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int i = 1; i <= Hosts; i++)
        {
            string file = Path.Combine(StateDirectory, $"silo-h{i}.pid");
            if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out int pid)) silos[HostName(i)] = pid;
        }
        return silos;
    }

    /// <summary>The raw TCP rate from host <paramref name="from"/> to host <paramref name="to"/> (<c>blitz bench link</c> in each namespace).</summary>
    public async Task<LinkReport> MeasureLink(int from, int to, double seconds, CancellationToken cancellation)
    {
        string target = $"{Address(to)}:{LinkProbePort}";
        var listener = Start(["bash", _script, "exec", HostName(to), .. BlitzCommandLine(), "bench", "link", "--listen", target]);
        try
        {
            // Wait for the listener to say it is bound, so the sender's first connect is not refused.
            using (var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                ready.CancelAfter(TimeSpan.FromSeconds(30));
                string? line;
                while ((line = await listener.StandardError.ReadLineAsync(ready.Token)) is not null && !line.Contains(LinkProbe.ListeningLine, StringComparison.Ordinal)) { }
                if (line is null) throw new InvalidOperationException($"bench link --listen {target} in {HostName(to)} exited before listening (exit {await ExitCode(listener)})");
            }
            var (exit, stdout, stderr) = await Run(["bash", _script, "exec", HostName(from), .. BlitzCommandLine(), "bench", "link", "--connect", target,
                "--seconds", $"{seconds}"], cancellation);
            if (exit != 0) throw new InvalidOperationException($"bench link --connect {target} from {HostName(from)} failed (exit {exit}): {stderr.Trim()}");
            return JsonSerializer.Deserialize<LinkReport>(stdout.Trim().Split('\n')[^1], CliJson.Options)
                ?? throw new InvalidOperationException($"bench link printed no report: {stdout}");
        }
        finally
        {
            if (!listener.HasExited) listener.Kill(entireProcessTree: true);
            await listener.WaitForExitAsync(CancellationToken.None);
            listener.Dispose();
        }
    }

    /// <summary>Evicts the files of a model directory from the page cache (<c>dd iflag=nocache count=0</c>), so a storage read is a read.</summary>
    public static async Task<bool> DropFromPageCache(string directory, CancellationToken cancellation)
    {
        bool all = true;
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            var (exit, _, _) = await Run(["dd", $"if={file}", "iflag=nocache", "count=0", "status=none"], cancellation);
            all &= exit == 0;
        }
        return all;
    }

    /// <summary>How to start this <c>blitz</c> again: its apphost, or <c>dotnet blitz.dll</c> when run through dotnet.</summary>
    public static IReadOnlyList<string> BlitzCommandLine()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = typeof(MulticastTestbed).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, dll] : [process];
    }

    private static string FindScript()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "testbed", "testbed.sh");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("testbed/testbed.sh not found above the blitz binary or the current directory; pass --testbed PATH");
    }

    /// <summary>
    /// The environment the testbed's silos start with. Every method is compiled fully optimized at its first call
    /// (<c>DOTNET_TieredCompilation=0</c>): a cluster in production has run long enough for its hot paths to be tiered up,
    /// while a freshly started silo runs them as quick tier-0 code for its first seconds. Under tiering, the first policy a
    /// bench ran after its warm-up loaded 20-25 % slower than the second (bench live, 3 December: 6.0 s against 4.8-4.9 s
    /// with blitz first, 6.35 s against 5.75 s with blitz-fast first), so the order of the policies decided the ratios.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> SiloEnvironment = new Dictionary<string, string>
    {
        ["DOTNET_TieredCompilation"] = "0",
    };

    private async Task Script(string[] args, CancellationToken cancellation)
    {
        var (exit, _, stderr) = await Run(["bash", _script, .. args], cancellation, _progress, SiloEnvironment);
        if (exit != 0)
        {
            string last = string.Join('\n', stderr.TrimEnd().Split('\n').TakeLast(25));
            throw new InvalidOperationException($"testbed.sh {args[0]} failed (exit {exit}):\n{last}");
        }
    }

    private static Process Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command.Skip(1)) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
    }

    private static async Task<int> ExitCode(Process process)
    {
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>Runs a command to its end; each stderr line also goes to <paramref name="stderrLine"/>.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> Run(IReadOnlyList<string> command, CancellationToken cancellation, Action<string>? stderrLine = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(command, environment);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = new StringBuilder();
        var errors = Task.Run(async () =>
        {
            string? line;
            while ((line = await process.StandardError.ReadLineAsync(CancellationToken.None)) is not null)
            {
                stderr.AppendLine(line);
                stderrLine?.Invoke(line);
            }
        }, CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await errors;
        return (process.ExitCode, await stdout, stderr.ToString());
    }
}
