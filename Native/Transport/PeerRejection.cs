namespace BlitzScale.Native.Transport;

/// <summary>Why a blob server dropped a peer.</summary>
public enum PeerRejectionKind
{
    /// <summary>It did not prove the cluster secret: a wrong answer, none, or none in time.</summary>
    Refused,
    /// <summary>It proved the secret, then broke the protocol (a malformed, oversized or out-of-range frame, or no request in time).</summary>
    ProtocolViolation,
}

/// <summary>A peer a blob server dropped: who (its remote address), and why, in words.</summary>
/// <param name="Peer">The peer's remote <c>address:port</c>, or "unknown" when the socket no longer has one.</param>
/// <param name="Kind">Refused at the handshake, or cut for breaking the protocol.</param>
/// <param name="Reason">What it did.</param>
public sealed record PeerRejection(string Peer, PeerRejectionKind Kind, string Reason);
