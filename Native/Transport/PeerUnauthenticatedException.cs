using System.Security.Authentication;

namespace BlitzScale.Native.Transport;

/// <summary>
/// A peer accepted this node's proof but did not prove in return that it holds the cluster secret: it may be an
/// impostor serving forged parameters, so nothing is fetched from it.
/// </summary>
public sealed class PeerUnauthenticatedException(string peer)
    : AuthenticationException(
        $"peer {peer} did not prove it holds the cluster secret: its answer to our challenge is missing or wrong; " +
        "nothing is fetched from it (both sides must be configured with the same cluster secret)")
{
    /// <summary>The peer that failed to prove the secret.</summary>
    public string Peer { get; } = peer;
}
