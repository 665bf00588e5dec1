using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The handshake in which each side proves it holds the cluster secret (layout in <see cref="WireFormat"/>): the server
/// sends a hello with its nonce, the client its own nonce and HMAC-SHA256(secret, "client" ‖ transcript), the server
/// checks it in constant time and answers with its verdict and HMAC-SHA256(secret, "server" ‖ transcript), which the
/// client checks the same way. The transcript is the hello and the client's nonce, so a proof is good for one
/// connection only, and a side without the secret learns nothing from the other's proof. Both sides then hold a
/// session key, HMAC-SHA256(secret, "session" ‖ transcript), under which the connection's chunks are authenticated
/// (<see cref="ChunkMac"/>).
/// </summary>
internal static class ClusterAuth
{
    public const int MinSecretBytes = 16;

    private static readonly byte[] ClientLabel = "blitzscale/client-proof"u8.ToArray();
    private static readonly byte[] ServerLabel = "blitzscale/server-proof"u8.ToArray();
    private static readonly byte[] SessionLabel = "blitzscale/session-key"u8.ToArray();

    public static byte[] CopySecret(byte[] secret, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(secret, parameterName);
        if (secret.Length < MinSecretBytes)
            throw new ArgumentException($"the cluster secret has {secret.Length} bytes; it needs at least {MinSecretBytes}", parameterName);
        return (byte[])secret.Clone();
    }

    /// <summary>
    /// The server's side: sends the hello, checks the client's proof, sends the verdict (and its own proof when it
    /// accepts). A refused peer is to be closed right after.
    /// </summary>
    /// <param name="socket">The peer.</param>
    /// <param name="secret">The cluster secret.</param>
    /// <param name="flags">What the server announces in its hello (<see cref="WireFormat.ChunkMacFlag"/>).</param>
    /// <param name="refused">Called with the reason before a refusal goes out, so whoever sees the refusal also sees it counted.</param>
    /// <param name="cancellationToken">Ends the handshake (the caller's timeout).</param>
    /// <returns>The session key; null when the peer was refused.</returns>
    public static async ValueTask<byte[]?> AcceptAsync(Socket socket, byte[] secret, ushort flags, Action<string> refused, CancellationToken cancellationToken)
    {
        var transcript = new byte[WireFormat.HelloBytes + WireFormat.NonceBytes];
        var hello = transcript.AsMemory(0, WireFormat.HelloBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(hello.Span, WireFormat.HelloMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(hello.Span[4..], WireFormat.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(hello.Span[6..], flags);
        RandomNumberGenerator.Fill(hello.Span[8..]);
        await SocketIo.SendAllAsync(socket, hello, cancellationToken).ConfigureAwait(false);

        var answer = new byte[WireFormat.AnswerBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, answer, cancellationToken).ConfigureAwait(false))
        {
            refused("it closed the connection before answering the challenge");
            return null;
        }
        answer.AsSpan(0, WireFormat.NonceBytes).CopyTo(transcript.AsSpan(WireFormat.HelloBytes));
        if (!CryptographicOperations.FixedTimeEquals(Proof(secret, ClientLabel, transcript), answer.AsSpan(WireFormat.NonceBytes)))
        {
            refused("its answer to the challenge does not prove the cluster secret");
            var refusal = new byte[WireFormat.VerdictBytes];
            BinaryPrimitives.WriteUInt32LittleEndian(refusal, WireFormat.RefusedMagic);
            await SocketIo.SendAllAsync(socket, refusal, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var verdict = new byte[WireFormat.AcceptedBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(verdict, WireFormat.AcceptedMagic);
        Proof(secret, ServerLabel, transcript).CopyTo(verdict.AsSpan(WireFormat.VerdictBytes));
        await SocketIo.SendAllAsync(socket, verdict, cancellationToken).ConfigureAwait(false);
        return Proof(secret, SessionLabel, transcript);
    }

    /// <summary>The client's side: answers the server's challenge and checks the server's own proof.</summary>
    /// <returns>The session key and the flags the server announced.</returns>
    /// <exception cref="PeerRefusedException">The server refused the secret (or closed without a verdict).</exception>
    /// <exception cref="PeerUnauthenticatedException">The server accepted but did not prove it holds the secret.</exception>
    /// <exception cref="TransferException">The peer does not speak this protocol.</exception>
    /// <exception cref="EndOfStreamException">The peer closed before its challenge.</exception>
    public static async ValueTask<ClientSession> AuthenticateAsync(Socket socket, byte[] secret, string peer, string modelId, CancellationToken cancellationToken)
    {
        var transcript = new byte[WireFormat.HelloBytes + WireFormat.NonceBytes];
        var hello = transcript.AsMemory(0, WireFormat.HelloBytes);
        if (!await SocketIo.ReceiveExactlyAsync(socket, hello, cancellationToken).ConfigureAwait(false))
            throw new EndOfStreamException("the connection closed before the server's challenge");
        if (BinaryPrimitives.ReadUInt32LittleEndian(hello.Span) != WireFormat.HelloMagic)
            throw new TransferException(peer, modelId, $"peer {peer} is not a blob server: its first bytes are not a blob-protocol hello");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(hello.Span[4..]);
        if (version != WireFormat.Version)
            throw new TransferException(peer, modelId, $"peer {peer} speaks blob protocol version {version}; this node speaks {WireFormat.Version}");
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(hello.Span[6..]);

        var answer = new byte[WireFormat.AnswerBytes];
        RandomNumberGenerator.Fill(answer.AsSpan(0, WireFormat.NonceBytes));
        answer.AsSpan(0, WireFormat.NonceBytes).CopyTo(transcript.AsSpan(WireFormat.HelloBytes));
        Proof(secret, ClientLabel, transcript).CopyTo(answer.AsSpan(WireFormat.NonceBytes));
        await SocketIo.SendAllAsync(socket, answer, cancellationToken).ConfigureAwait(false);

        var verdict = new byte[WireFormat.AcceptedBytes];
        // A server that refuses may close before its verdict arrives: either way the secret was not accepted.
        if (!await ReceiveQuietlyAsync(socket, verdict.AsMemory(0, WireFormat.VerdictBytes), cancellationToken).ConfigureAwait(false)
            || BinaryPrimitives.ReadUInt32LittleEndian(verdict) != WireFormat.AcceptedMagic)
        {
            throw new PeerRefusedException(peer);
        }
        if (!await ReceiveQuietlyAsync(socket, verdict.AsMemory(WireFormat.VerdictBytes), cancellationToken).ConfigureAwait(false)
            || !CryptographicOperations.FixedTimeEquals(Proof(secret, ServerLabel, transcript), verdict.AsSpan(WireFormat.VerdictBytes)))
        {
            throw new PeerUnauthenticatedException(peer);
        }
        return new ClientSession(Proof(secret, SessionLabel, transcript), flags);
    }

    private static byte[] Proof(byte[] secret, byte[] label, byte[] transcript)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        mac.AppendData(label);
        mac.AppendData(transcript);
        return mac.GetHashAndReset();
    }

    private static async ValueTask<bool> ReceiveQuietlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await SocketIo.ReceiveExactlyAsync(socket, buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>What the client holds after the handshake: the session key and the server's announced flags.</summary>
internal readonly record struct ClientSession(byte[] SessionKey, ushort Flags)
{
    public bool ChunksAuthenticated => (Flags & WireFormat.ChunkMacFlag) != 0;

    /// <summary>
    /// The MAC this session's chunks are checked with; null when the server announced none and this node does not
    /// require one (every transport's client decides it here).
    /// </summary>
    /// <exception cref="TransferException">The server announced no chunk MAC and <paramref name="required"/> is set.</exception>
    public ChunkMac? ChunkMacFor(TransferTracker tracker, bool required)
    {
        Check(tracker, required);
        return ChunksAuthenticated ? new ChunkMac(SessionKey) : null;
    }

    /// <summary>Refuses a server that announced no chunk MAC when <paramref name="required"/> is set.</summary>
    /// <exception cref="TransferException">It did not, and one is required.</exception>
    public void Check(TransferTracker tracker, bool required)
    {
        if (required && !ChunksAuthenticated)
        {
            throw new TransferException(tracker.Peer, tracker.Request.ModelId,
                $"peer {tracker.Peer} does not authenticate its chunks (no chunk MAC announced in its hello), which this node requires");
        }
    }
}
