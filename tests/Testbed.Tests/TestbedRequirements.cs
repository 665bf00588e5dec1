using BlitzScale.Tests.Shared;

namespace BlitzScale.Testbed.Tests;

/// <summary>
/// Why the multi-host testbed cannot run here (the end-to-end test's skip reason), or null when it can: it needs root (namespaces, veth, tc), a working
/// <c>ip netns</c>, redis-server, ../shared for the model and goldens, and no testbed already up (the names are fixed).
/// </summary>
internal static class TestbedRequirements
{
    public static async Task<string?> Missing()
    {
        if (!IsRoot()) return "not root: the testbed needs CAP_NET_ADMIN for network namespaces, veth and tc";
        if (RepositoryPaths.Stories260K is null) return RepositoryPaths.Stories260KMissing;
        var netns = await TryRun(["ip", "netns", "list"]);
        if (netns is not { ExitCode: 0 }) return $"`ip netns` is unavailable ({netns?.Stderr.Trim() ?? "ip not installed"})";
        if (!OnPath("tc")) return "tc (iproute2) is not installed";
        if (!OnPath("redis-server")) return "redis-server is not installed (apt-get install -y redis-server; .ci/run does)";
        if (Directory.Exists("/sys/class/net/blitzbr0")) return "a testbed is already up on this machine (blitzbr0 exists; testbed.sh down removes it)";
        return null;
    }

    private static bool IsRoot()
    {
        // "Uid:\treal\teffective\tsaved\tfs"
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return line?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) == "0";
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static async Task<Commands.Result?> TryRun(string[] command)
    {
        try
        {
            return await Commands.Run(command, TimeSpan.FromSeconds(10));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
