namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// The shared-memory blob protocol, version 1: control frames over a Unix domain socket, chunk bytes through a
/// staging ring (a file of <c>slots × slot bytes</c> that both processes map). Integers are little-endian.
/// </summary>
/// <remarks>
/// <para>Handshake and request: exactly as TCP (<see cref="WireFormat"/>): the HMAC challenge, then one Range request
/// with the model id. Refetches are not Chunk requests here but a flag on the slot release.</para>
/// <para>Server → client, 32-byte frames:</para>
/// <code>
///  0        4      6      8        12       16                24
///  +--------+------+------+--------+--------+-----------------+------------------+
///  | "BLZS" | kind | slot | blob   | length | offset in blob  | xxhash3-64       |  then length bytes (ring, error)
///  | u32    | u16  | u16  | i32    | i32    | i64             | u64              |
///  +--------+------+------+--------+--------+-----------------+------------------+
///  kind 3 ring:   the first frame of an accepted request. slot = slot count, offset = slot bytes,
///                 length = name length, followed by the UTF-8 name of the ring file, in the socket's directory
///  kind 0 chunk:  the chunk's bytes are in the ring at [slot × slot bytes, + length); the hash is the sender's,
///                 over the source bytes, checked by the receiver after it has copied them into its image; with
///                 hello flag bit 0, the frame is followed by 16 bytes: the AES-256-GMAC tag of the frame and the
///                 source bytes under the session key (ChunkMac; nonce = the chunk frame's number on the
///                 connection, from 0), checked on the copy in the image too
///  kind 1 error, kind 2 source lost: as in TCP, a UTF-8 message of length bytes follows; the server closes
/// </code>
/// <para>Client → server, 16-byte slot releases:</para>
/// <code>
///  0        4        8         12
///  +--------+--------+---------+--------+
///  | "BLZF" | slot   | refetch | 0      |
///  | u32    | i32    | i32     | i32    |
///  +--------+--------+---------+--------+
///  the client has copied the chunk out of the slot; refetch = 1: it failed its hash or MAC check, send it again
/// </code>
/// The server fills at most slot-count chunks ahead of the client: a slot is reused only after its release.
/// The ring file is unlinked once both sides have mapped it (the client unlinks it at once; the server when the
/// connection ends), so nothing is left in the directory after a crash of either side but the socket.
/// </remarks>
internal static class SharedMemoryWire
{
    public const int FrameBytes = 32;
    public const int ReleaseBytes = 16;
    /// <summary>Longest ring file name a client accepts.</summary>
    public const int MaxRingNameBytes = 255;

    public const uint FrameMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'S' << 24;
    public const uint ReleaseMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'F' << 24;
}

/// <summary>Kinds of server frames; the first three mean what the TCP reply kinds mean.</summary>
internal enum SlotFrameKind : ushort
{
    Chunk = 0,
    Error = 1,
    SourceLost = 2,
    Ring = 3,
}
