using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The MAC of each chunk on a connection: an AES-256-GMAC tag under the session key the handshake agreed on, over the
/// chunk's header and payload, with the chunk's number on the connection as the nonce. AES-GCM with the payload as
/// associated data and the 32-byte header as the plaintext (its ciphertext is discarded) yields a tag that changes with
/// any bit of either; numbering the chunks makes a replayed, dropped or reordered chunk fail too. GMAC runs on AES-NI
/// and carry-less multiply, about 9 times the rate of HMAC-SHA256 here (see docs/data-plane.md).
/// </summary>
/// <remarks>
/// One per connection side, used by one loop. Over TCP and shared memory the sender signs and the receiver verifies in
/// order (<see cref="Sign(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> and its <see cref="Verify(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
/// count for themselves); where a chunk is checked later or more than once (RDMA pairs a header with a write that
/// completes on its own time; CUDA IPC copies a chunk again without a new header), the caller names the number.
/// </remarks>
internal sealed class ChunkMac : IDisposable
{
    public const int TagBytes = 16;
    public const int HeaderBytes = WireFormat.HeaderBytes;

    private readonly AesGcm _gcm;
    // Nonce: 4 zero bytes, then the chunk's number (little-endian). One key per connection, so it never repeats.
    private readonly byte[] _nonce = new byte[AesGcm.NonceByteSizes.MaxSize];
    private readonly byte[] _discarded = new byte[HeaderBytes];
    private readonly byte[] _expected = new byte[TagBytes];
    private ulong _next;

    public ChunkMac(byte[] sessionKey) => _gcm = new AesGcm(sessionKey, TagBytes);

    /// <summary>The tag of the next chunk in order.</summary>
    public void Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Span<byte> tag) => Sign(_next++, header, payload, tag);

    /// <summary>Whether <paramref name="tag"/> is the next chunk's tag in order (compared in constant time).</summary>
    public bool Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> tag) => Verify(_next++, header, payload, tag);

    /// <summary>The tag of chunk number <paramref name="number"/> on the connection; the counter of the in-order calls is untouched.</summary>
    /// <exception cref="ArgumentException">The header is not <see cref="HeaderBytes"/> long.</exception>
    public void Sign(ulong number, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Span<byte> tag)
    {
        if (header.Length != HeaderBytes)
            throw new ArgumentException($"a chunk header has {HeaderBytes} bytes; this one has {header.Length}", nameof(header));
        BinaryPrimitives.WriteUInt64LittleEndian(_nonce.AsSpan(4), number);
        _gcm.Encrypt(_nonce, header, _discarded, tag, payload);
    }

    /// <summary>Whether <paramref name="tag"/> is chunk number <paramref name="number"/>'s tag (compared in constant time).</summary>
    public bool Verify(ulong number, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> tag)
    {
        Sign(number, header, payload, _expected);
        return CryptographicOperations.FixedTimeEquals(_expected, tag);
    }

    public void Dispose() => _gcm.Dispose();
}
