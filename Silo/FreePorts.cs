using System.Net;
using System.Net.Sockets;

namespace BlitzScale.Silo;

/// <summary>Loopback ports nothing listens on right now, for embedded silos and tests that must not collide with a running grid.</summary>
public static class FreePorts
{
    // The OS may hand a port it just released out again at once: a CI run on 8 December saw `blitz generate` ask twice and
    // get 45425 for both its silo and its gateway port. Ports handed out in this process are never handed out again, so a
    // caller asking for two gets two.
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>Asks of the OS before <see cref="Next"/> gives up: each repeat is a port this process already holds.</summary>
    private const int Tries = 1000;

    /// <summary>A port the OS just handed out for 127.0.0.1 and released, never one this process was handed before.</summary>
    /// <exception cref="InvalidOperationException">The OS offered only ports this process was already handed, <see cref="Tries"/> times.</exception>
    public static int Next()
    {
        for (int i = 0; i < Tries; i++)
        {
            int port = Ask();
            lock (HandedOut)
            {
                if (HandedOut.Add(port)) return port;
            }
        }
        int count;
        lock (HandedOut) count = HandedOut.Count;
        throw new InvalidOperationException($"no free loopback port: the OS offered only ports this process was already handed ({count} of them), {Tries} times");
    }

    private static int Ask()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
