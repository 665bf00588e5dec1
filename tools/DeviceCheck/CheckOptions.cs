namespace BlitzScale.DeviceCheck;

/// <summary>
/// Command-line options: <c>--shared DIR</c> (holds models/stories260K), <c>--no-torch</c>, <c>--quick</c>, and
/// <c>--checks NAME[,NAME…]</c> to run only some checks (all by default; names as in the report).
/// </summary>
/// <param name="ServeIpc">The model and socket directories when this run is the peer of the IPC check (internal).</param>
internal sealed record CheckOptions(string? Shared, bool Torch, bool Quick, IReadOnlySet<string> Checks, (string Model, string Sockets)? ServeIpc = null)
{
    /// <summary>Every check, in the order they run; each is the report's key for its result.</summary>
    public static IReadOnlyList<string> AllChecks { get; } =
        ["goldens_stories260k_f32", "split_invariance", "cpu_vs_cuda_bf16", "h2d_upload", "ipc_same_host", "layer_time_llama3_8b"];

    public static string Usage => $"usage: DeviceCheck [--shared DIR] [--no-torch] [--quick] [--checks NAME[,NAME...]] (checks: {string.Join(", ", AllChecks)})";

    /// <exception cref="ArgumentException">An unknown option or check, or a missing value; the message says which.</exception>
    public static CheckOptions Parse(IReadOnlyList<string> args)
    {
        string? shared = null;
        bool torch = true, quick = false;
        IReadOnlySet<string> checks = AllChecks.ToHashSet(StringComparer.Ordinal);
        (string, string)? serveIpc = null;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--shared" when i + 1 < args.Count:
                    shared = args[++i];
                    break;
                case "--no-torch":
                    torch = false;
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--checks" when i + 1 < args.Count:
                    checks = ParseChecks(args[++i]);
                    break;
                case IpcTransfer.ServeOption when i + 2 < args.Count:
                    serveIpc = (args[i + 1], args[i + 2]);
                    i += 2;
                    break;
                default:
                    throw new ArgumentException($"unknown or incomplete option \"{args[i]}\"; {Usage}");
            }
        }
        return new CheckOptions(shared, torch, quick, checks, serveIpc);
    }

    private static HashSet<string> ParseChecks(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException($"--checks needs at least one name; {Usage}");
        foreach (string name in names)
            if (!AllChecks.Contains(name)) throw new ArgumentException($"unknown check \"{name}\" in --checks; {Usage}");
        return names.ToHashSet(StringComparer.Ordinal);
    }
}
