using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The handshake that keeps peers without the cluster secret out: the server sends a random challenge, the client
/// answers HMAC-SHA256(secret, challenge), the server compares in constant time and says yes or closes.
/// </summary>
internal static class ClusterAuth
{
    public const int MinSecretBytes = 16;

    public static byte[] CopySecret(byte[] secret, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(secret, parameterName);
        if (secret.Length < MinSecretBytes)
            throw new ArgumentException($"the cluster secret has {secret.Length} bytes; it needs at least {MinSecretBytes}", parameterName);
        return (byte[])secret.Clone();
    }

    /// <summary>The server's side, up to its verdict: sends the challenge and checks the answer.</summary>
    /// <returns>Null when the peer closed before answering; else whether the answer proves the secret.</returns>
    public static async ValueTask<bool?> ChallengeAsync(Socket socket, byte[] secret, CancellationToken cancellationToken)
    {
        var hello = new byte[WireFormat.HelloBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(hello, WireFormat.HelloMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(hello.AsSpan(4), WireFormat.Version);
        var challenge = hello.AsMemory(8, WireFormat.ChallengeBytes);
        RandomNumberGenerator.Fill(challenge.Span);
        await SocketIo.SendAllAsync(socket, hello, cancellationToken).ConfigureAwait(false);

        var answer = new byte[WireFormat.AnswerBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, answer, cancellationToken).ConfigureAwait(false)) return null;
        var expected = new byte[WireFormat.AnswerBytes];
        HMACSHA256.HashData(secret, challenge.Span, expected);
        return CryptographicOperations.FixedTimeEquals(expected, answer);
    }

    /// <summary>Tells the peer whether it was accepted; a refused peer is closed right after.</summary>
    public static ValueTask SendVerdictAsync(Socket socket, bool accepted, CancellationToken cancellationToken)
    {
        var verdict = new byte[WireFormat.VerdictBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(verdict, accepted ? WireFormat.AcceptedMagic : WireFormat.RefusedMagic);
        return SocketIo.SendAllAsync(socket, verdict, cancellationToken);
    }

    /// <summary>The client's side.</summary>
    /// <exception cref="PeerRefusedException">The server refused the secret (or closed without a verdict).</exception>
    /// <exception cref="TransferException">The peer does not speak this protocol.</exception>
    /// <exception cref="EndOfStreamException">The peer closed before its challenge.</exception>
    public static async ValueTask AuthenticateAsync(Socket socket, byte[] secret, string peer, string modelId, CancellationToken cancellationToken)
    {
        var hello = new byte[WireFormat.HelloBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, hello, cancellationToken).ConfigureAwait(false))
            throw new EndOfStreamException("the connection closed before the server's challenge");
        if (BinaryPrimitives.ReadUInt32LittleEndian(hello) != WireFormat.HelloMagic)
            throw new TransferException(peer, modelId, $"peer {peer} is not a blob server: its first bytes are not a blob-protocol hello");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(hello.AsSpan(4));
        if (version != WireFormat.Version)
            throw new TransferException(peer, modelId, $"peer {peer} speaks blob protocol version {version}; this node speaks {WireFormat.Version}");

        var answer = new byte[WireFormat.AnswerBytes];
        HMACSHA256.HashData(secret, hello.AsSpan(8, WireFormat.ChallengeBytes), answer);
        await SocketIo.SendAllAsync(socket, answer, cancellationToken).ConfigureAwait(false);

        var verdict = new byte[WireFormat.VerdictBytes];
        // A server that refuses may close before its verdict arrives: either way the secret was not accepted.
        bool got;
        try
        {
            got = await SocketIo.ReceiveExactlyAsync(socket, verdict, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            got = false;
        }
        if (!got || BinaryPrimitives.ReadUInt32LittleEndian(verdict) != WireFormat.AcceptedMagic)
            throw new PeerRefusedException(peer);
    }
}
