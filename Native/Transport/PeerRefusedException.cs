using System.Security.Authentication;

namespace BlitzScale.Native.Transport;

/// <summary>A peer refused this node's cluster secret: its HMAC challenge response did not match.</summary>
public sealed class PeerRefusedException(string peer)
    : AuthenticationException(
        $"peer {peer} refused the cluster secret: it closed the connection after our answer to its HMAC challenge; " +
        "both sides must be configured with the same cluster secret")
{
    /// <summary>The peer that refused.</summary>
    public string Peer { get; } = peer;
}
