namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// The RDMA blob protocol, version 1: a TCP side channel that speaks the TCP blob protocol (<see cref="WireFormat"/>)
/// except that chunk payloads travel as RDMA writes, and a reliable-connected queue-pair pair that carries them.
/// </summary>
/// <remarks>
/// <code>
/// client                                              server
///   ── TCP connect ─────────────────────────────────────▶
///   ◀── hello/challenge ── answer ──▶ ◀── verdict ──────   ClusterAuth, as TCP
///   ── Range request + model id ───────────────────────▶   as TCP
///   ── connection info: QPN, PSN, LID, GID, MTU,           (client QP in INIT, receives posted,
///      target region address, length, image offset, rkey ▶  target memory registered for remote write)
///   ◀── connection info: QPN, PSN, LID, GID, MTU ───────   or an error reply, as TCP (server QP now RTS)
///   ── "BLZG" ready ───────────────────────────────────▶   (client QP now RTR → RTS)
///   ◀── chunk header (blob, length, offset, hash), no payload,     per chunk, in plan order (refetches
///       then its 16-byte AES-256-GMAC tag (hello flag bit 0) ──    slipped in between); then
///   ◀══ RDMA WRITE WITH IMMEDIATE: the chunk's bytes into       the bytes, zero-copy from the source
///       the target region; immediate = chunk index in the plan   image into the target image
///   ── Chunk refetch request ──────────────────────────▶   when a chunk fails its hash check, as TCP
///   ── close ──────────────────────────────────────────▶   when every chunk has landed
/// </code>
/// The header and the write of a chunk take different paths, so the client pairs them by chunk index
/// (<see cref="ChunkLedger"/>) and checks the hash and the tag once both are in. The tag is <see cref="ChunkMac"/>'s
/// under the session key, over the header and the source bytes the write carries, with the header's number on the
/// side channel (from 0, counted by both sides; a refetched chunk's header gets the next number) as the nonce: chunks
/// may be checked in any order, each under its own header's number.
/// </remarks>
internal static class RdmaWire
{
    public const int ReadyBytes = 4;
    public const uint ReadyMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'G' << 24;

    /// <summary>Immediates carry the chunk's index in the plan; <c>imm_data</c> is 32 bits, plans are far smaller.</summary>
    public static uint Immediate(int chunkIndex) => checked((uint)chunkIndex);
}
