using System.Net;
using System.Net.Sockets;

namespace BlitzScale.Silo;

/// <summary>Loopback ports nothing listens on right now, for embedded silos and tests that must not collide with a running grid.</summary>
public static class FreePorts
{
    /// <summary>A port the OS just handed out for 127.0.0.1 and released.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
