using System.Text.RegularExpressions;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Turns what goes wrong in the cluster (a silo gone, a host without a silo, a call that timed out) into one line for
/// the user: what failed, which host when known, and what to do. Exceptions that are not cluster faults give null.
/// </summary>
internal static partial class ClusterFaults
{
    private const int MaxDetail = 300;

    public static string? Describe(Exception e) => e switch
    {
        ClusterUnreachableException => e.Message,
        GatewayTooBusyException =>
            $"the cluster's gateway is too busy to take this call ({Detail(e)}); retry in a moment",
        SiloUnavailableException =>
            $"a silo of the cluster did not answer ({Detail(e)}): its host may be down. See which hosts answer with `blitz status`; " +
            "restart that host's silo (`blitz silo --host …`), or retry once the cluster has declared it dead (about a minute)",
        OrleansMessageRejectionException =>
            $"the cluster could not deliver a call ({Detail(e)}): a silo may have stopped. See which hosts answer with `blitz status`, then retry",
        TimeoutException =>
            $"the cluster did not answer in time ({Detail(e)}): a host may be down or overloaded. See which hosts answer with `blitz status`, then retry",
        OrleansException when HostWithoutSilo(e.Message) is { } host =>
            $"host \"{host}\" has no active silo, so the call could not run there ({Detail(e)}). " +
            $"Start its silo (`blitz silo --host {host} …`), or leave its GPUs out (--gpus)",
        OrleansException => $"the cluster failed the call: {Detail(e)}",
        _ => null,
    };

    /// <summary>The host the placement director names in "host "H" has no active silo", or null.</summary>
    internal static string? HostWithoutSilo(string message) =>
        NoSiloPattern().Match(message) is { Success: true } match ? match.Groups["host"].Value : null;

    // The first line of the message, kept short: Orleans messages can carry whole message dumps.
    private static string Detail(Exception e)
    {
        string line = e.Message.Split('\n', 2)[0].Trim();
        return line.Length <= MaxDetail ? line : line[..MaxDetail] + "…";
    }

    [GeneratedRegex("host \"(?<host>[^\"]+)\" has no active silo")]
    private static partial Regex NoSiloPattern();
}
