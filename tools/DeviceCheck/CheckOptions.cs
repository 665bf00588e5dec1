using BlitzScale.Native.Models.Synthetic;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// Command-line options: <c>--shared DIR</c> (holds models/stories260K), <c>--no-torch</c>, <c>--quick</c>,
/// <c>--checks NAME[,NAME…]</c> to run only some checks (all by default; names as in the report), and the layer
/// timing's model and sizes: <c>--layer-shape NAME</c> (default llama3-8b, the only one PyTorch is compared on),
/// <c>--layer-prefill N[,N…]</c> (default 512,2048), <c>--layer-decode BxCTX</c> (default 64x1024).
/// </summary>
/// <param name="ServeIpc">The model and socket directories when this run is the peer of the IPC check (internal).</param>
internal sealed record CheckOptions(string? Shared, bool Torch, bool Quick, IReadOnlySet<string> Checks, (string Model, string Sockets)? ServeIpc = null)
{
    /// <summary>The synthetic shape of the timed layer.</summary>
    public string LayerShape { get; init; } = LayerTiming.DefaultShape;

    /// <summary>Prefill lengths timed (one sequence each).</summary>
    public IReadOnlyList<int> LayerPrefill { get; init; } = [512, 2048];

    /// <summary>The decode step timed: this many sequences, each with this many positions cached.</summary>
    public (int Batch, int Context) LayerDecode { get; init; } = (64, 1024);

    /// <summary>Every check, in the order they run; each is the report's key for its result.</summary>
    public static IReadOnlyList<string> AllChecks { get; } =
        ["goldens_stories260k_f32", "split_invariance", "cpu_vs_cuda_bf16", "h2d_upload", "ipc_same_host", "layer_time_llama3_8b"];

    public static string Usage =>
        $"usage: DeviceCheck [--shared DIR] [--no-torch] [--quick] [--checks NAME[,NAME...]] [--layer-shape NAME] [--layer-prefill N[,N...]] [--layer-decode BxCTX] (checks: {string.Join(", ", AllChecks)})";

    /// <exception cref="ArgumentException">An unknown option or check, or a missing value; the message says which.</exception>
    public static CheckOptions Parse(IReadOnlyList<string> args)
    {
        string? shared = null;
        bool torch = true, quick = false;
        IReadOnlySet<string> checks = AllChecks.ToHashSet(StringComparer.Ordinal);
        (string, string)? serveIpc = null;
        string layerShape = LayerTiming.DefaultShape;
        int[] layerPrefill = [512, 2048];
        var layerDecode = (64, 1024);
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
                case "--layer-shape" when i + 1 < args.Count:
                    layerShape = args[++i];
                    if (!SyntheticShapes.Names.Contains(layerShape))
                        throw new ArgumentException($"unknown --layer-shape \"{layerShape}\": expected one of {string.Join(", ", SyntheticShapes.Names)}");
                    break;
                case "--layer-prefill" when i + 1 < args.Count:
                    layerPrefill = [.. args[++i].Split(',').Select(n => Positive(n, "--layer-prefill"))];
                    break;
                case "--layer-decode" when i + 1 < args.Count:
                    string[] parts = args[++i].Split('x');
                    if (parts.Length != 2) throw new ArgumentException($"--layer-decode takes BATCHxCONTEXT, e.g. 64x1024; found \"{args[i]}\"");
                    layerDecode = (Positive(parts[0], "--layer-decode"), Positive(parts[1], "--layer-decode"));
                    break;
                case IpcTransfer.ServeOption when i + 2 < args.Count:
                    serveIpc = (args[i + 1], args[i + 2]);
                    i += 2;
                    break;
                default:
                    throw new ArgumentException($"unknown or incomplete option \"{args[i]}\"; {Usage}");
            }
        }
        return new CheckOptions(shared, torch, quick, checks, serveIpc) { LayerShape = layerShape, LayerPrefill = layerPrefill, LayerDecode = layerDecode };
    }

    private static int Positive(string text, string option) =>
        int.TryParse(text, out int value) && value > 0
            ? value
            : throw new ArgumentException($"{option} takes positive whole numbers; found \"{text}\"");

    private static HashSet<string> ParseChecks(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException($"--checks needs at least one name; {Usage}");
        foreach (string name in names)
            if (!AllChecks.Contains(name)) throw new ArgumentException($"unknown check \"{name}\" in --checks; {Usage}");
        return names.ToHashSet(StringComparer.Ordinal);
    }
}
