namespace BlitzScale.Native.Transport;

/// <summary>
/// The TCP blob protocol, version 2. Every integer is little-endian; every header is 32 bytes.
/// </summary>
/// <remarks>
/// <para>Handshake (the server speaks first; T = transcript = hello ‖ client nonce; each proof is checked in constant time):</para>
/// <code>
/// server → client  hello, 40 bytes            client → server  answer, 64 bytes
///  0        4      6      8                    0                 32
///  +--------+------+------+----------------+   +-----------------+------------------------------------+
///  | "BLZH" | ver  | flags| server nonce   |   | client nonce    | HMAC-SHA256(secret, "client" ‖ T)  |
///  | u32    | u16  | u16  | 32 random bytes|   | 32 random bytes | 32 bytes                           |
///  +--------+------+------+----------------+   +-----------------+------------------------------------+
///  flags bit 0: every chunk reply carries a MAC (see below)
///
/// server → client  verdict: "BLZA" then HMAC-SHA256(secret, "server" ‖ T), 36 bytes: accepted, and the server
///                  proved the secret in turn; or "BLZR", 4 bytes: refused, then the server closes.
/// session key = HMAC-SHA256(secret, "session" ‖ T), on both sides (the labels are ASCII "blitzscale/…").
/// </code>
/// <para>Requests (client → server): one Range (or RangeFrom), then any number of Chunk refetches.</para>
/// <code>
///  0        4        8        12       16                24       28       32
///  +--------+--------+--------+--------+-----------------+--------+--------+
///  | "BLZQ" | kind   | blob   | a      | b               | c      | n      |  then n bytes (Range only)
///  | u32    | i32    | i32    | i32    | i64             | i32    | i32    |
///  +--------+--------+--------+--------+-----------------+--------+--------+
///  Range (kind 1): blob = first blob, a = end blob, b = image bytes (layout check), c = chunk bytes,
///                  n = model-id length, followed by the model id in UTF-8
///  Chunk (kind 2): blob, a = length, b = offset in blob, c = n = 0
///  RangeFrom (kind 3): as Range, then after the model id an i32: the index k of the first chunk of the first
///                  blob to send; the blob's chunks 0..k-1 are not part of the range (the client holds them)
///  ActivationStream (kind 4): the connection carries activation pushes from now on (every other field 0); the
///                  server never writes on it again, and it lasts until the client closes it
///  Activation (kind 5): a = id length (1 to 1,024 bytes), b = payload length (at most the inbox's frame limit), the rest
///                  0; followed by the id in UTF-8, the payload, and a 16-byte AES-256-GMAC tag under the session key
///                  over the header and the id ‖ payload (nonce = the frame's number on the connection, from 0), so a
///                  forged, replayed, dropped or reordered frame fails; a frame that breaks any of this cuts the connection
/// </code>
/// <para>Replies (server → client): the chunks of the range, in order, with refetched chunks slipped in between.</para>
/// <code>
///  0        4        8        12       16                24                 32
///  +--------+--------+--------+--------+-----------------+------------------+
///  | "BLZC" | kind   | blob   | length | offset in blob  | xxhash3-64       |  then length payload bytes
///  | u32    | i32    | i32    | i32    | i64             | u64              |
///  +--------+--------+--------+--------+-----------------+------------------+
///  kind 0 chunk: the payload is the blob's bytes [offset, offset + length); the hash is over them,
///                computed by the sender and checked by the receiver after the bytes land in its image; with
///                flags bit 0, 16 more bytes follow the payload: the chunk's AES-256-GMAC tag under the session key
///                (see ChunkMac: nonce = the reply's number on the connection, from 0; the header and the payload
///                both covered)
///  kind 1 error: the payload is a UTF-8 message; the server closes after it
///  kind 2 source lost: as error, but the server's own source (upstream in a chain) was lost
/// </code>
/// Chunks are cut as <see cref="ChunkPlan"/> says, so (blob, offset, length) identifies one chunk of the request.
/// The client closes the connection once every chunk has landed.
/// </remarks>
internal static class WireFormat
{
    public const ushort Version = 2;
    public const int HeaderBytes = 32;
    public const int NonceBytes = 32;
    public const int ProofBytes = 32;
    public const int HelloBytes = 8 + NonceBytes;
    public const int AnswerBytes = NonceBytes + ProofBytes;
    public const int VerdictBytes = 4;
    public const int AcceptedBytes = VerdictBytes + ProofBytes;
    /// <summary>Hello flag: every chunk reply is followed by its MAC under the session key.</summary>
    public const ushort ChunkMacFlag = 1;
    public const int ChunkMacBytes = ChunkMac.TagBytes;
    /// <summary>Longest error message a client reads.</summary>
    public const int MaxErrorBytes = 64 << 10;

    // Four ASCII letters read as a little-endian u32: a stray or misaligned stream fails at once.
    public const uint HelloMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'H' << 24;
    public const uint AcceptedMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'A' << 24;
    public const uint RefusedMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'R' << 24;
    public const uint RequestMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'Q' << 24;
    public const uint ReplyMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'C' << 24;
}

/// <summary>Kinds of request frames.</summary>
internal enum RequestKind
{
    Range = 1,
    Chunk = 2,
    /// <summary>A range that starts at a chunk inside its first blob.</summary>
    RangeFrom = 3,
    /// <summary>The first request of a connection that pushes activations (<see cref="ActivationPusher"/>).</summary>
    ActivationStream = 4,
    /// <summary>One pushed activation on such a connection.</summary>
    Activation = 5,
}

/// <summary>Kinds of reply frames.</summary>
internal enum ReplyKind
{
    Chunk = 0,
    Error = 1,
    SourceLost = 2,
}
