using System.Net.Sockets;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Why no gateway of a cluster was reached, in words a user can act on: nothing listens there (no silo, or the wrong
/// port or cluster id), or something listens but did not let the client in before the timeout (a busy silo).
/// </summary>
internal static class ConnectFailure
{
    /// <param name="connection">The cluster tried.</param>
    /// <param name="last">The last error of a connection attempt, or null when the time ran out during one.</param>
    /// <param name="attempts">Attempts that failed with an error.</param>
    /// <param name="listening">
    /// Whether anything accepts TCP connections at the gateway's address, probed after the attempts (localhost clusters);
    /// null when not known. For a Redis cluster, whose gateways are read from Redis, it is the Redis server that is probed.
    /// </param>
    /// <param name="redis">The Redis server's host:port for a redis:// cluster; null for a localhost one.</param>
    public static string Describe(GridConnection connection, Exception? last, int attempts, bool? listening = null, string? redis = null)
    {
        string where = $"cannot reach the cluster at {connection.Cluster} (cluster id \"{connection.ClusterId}\")";
        double seconds = connection.ConnectTimeout.TotalSeconds;
        if (redis is not null && listening == false)
        {
            return $"{where}: no Redis server accepts connections at {redis} (refused; {attempts} attempt(s)). " +
                   "Is the cluster's Redis running there, at the address its silos were given with --cluster?";
        }
        if (listening == false || (last is not null && Refused(last)))
        {
            return $"{where}: no silo accepts connections there (refused; {attempts} attempt(s)). " +
                   "Is a silo running there (`blitz silo`), with that gateway port and cluster id?";
        }
        if (listening is null && last is OrleansException && last.Message.Contains("gateway", StringComparison.OrdinalIgnoreCase) && !IsTimeout(last))
        {
            return $"{where}: {FirstLine(last.Message)} ({attempts} attempt(s) in {seconds:F0} s). " +
                   "Is a silo running there, with that cluster id?";
        }
        string seen = last is null ? "" : $"; last error: {FirstLine(last.Message)}";
        return $"{where}: a gateway did not let this client in within {seconds:F0} s{seen}. The silo may be busy " +
               "(for example many clients starting at once on few cores): retry, or wait longer with --connect-timeout SECONDS";
    }

    /// <summary>Whether the connection was refused: nothing listens at the gateway's address.</summary>
    internal static bool Refused(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
            if (x.Message.Contains("Connection refused", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static bool IsTimeout(Exception e) => e is TimeoutException || e.InnerException is TimeoutException;

    private static string FirstLine(string message)
    {
        string line = message.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
