using System.Globalization;
using System.Net;

namespace BlitzScale.Native.Transport;

/// <summary>Parses the <c>host:port</c> form peers are named by (<c>10.222.0.2:7000</c>, <c>[::1]:7000</c>, <c>h2:7000</c>).</summary>
internal static class PeerAddress
{
    public static EndPoint Parse(string peer)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        if (IPEndPoint.TryParse(peer, out var ip) && ip.Port != 0) return ip;
        int colon = peer.LastIndexOf(':');
        if (colon > 0 && int.TryParse(peer.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            && port is > 0 and <= IPEndPoint.MaxPort)
        {
            return new DnsEndPoint(peer[..colon], port);
        }
        throw new ArgumentException($"peer \"{peer}\" is not host:port", nameof(peer));
    }
}
