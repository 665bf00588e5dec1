using System.Buffers.Binary;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>
/// The CUDA IPC blob protocol, version 1: control over a Unix domain socket, bytes device to device.
/// </summary>
/// <remarks>
/// <para>Handshake and request: exactly as TCP (<see cref="WireFormat"/>): the HMAC challenge, then one Range request
/// with the model id.</para>
/// <para>Server → client: on refusal, one TCP error reply (kind 1, a UTF-8 message, then the server closes). Else:</para>
/// <code>
///  0        4        8                 16                24       32
///  +--------+--------+-----------------+-----------------+--------+  then the 64-byte CUipcMemHandle
///  | "BLZG" | 0      | allocation bytes| image offset    | 0      |
///  | u32    | i32    | i64             | i64             | u64    |
///  +--------+--------+-----------------+-----------------+--------+
/// </code>
/// <para>then, per chunk of the plan in order, one TCP chunk reply (kind 0) with no payload, followed by its 16-byte
/// AES-256-GMAC tag (the server always sets hello flag bit 0): the chunk's bytes are at image offset + the blob's
/// offset + offset in blob of the exported allocation; the hash and the tag (ChunkMac under the session key, over the
/// frame and the bytes; nonce = the frame's number on the connection, from 0) are the sender's, over the bytes it read
/// back from its device. The client copies device to device, reads the landed bytes back into its host image and
/// checks both; a chunk that fails is copied again by the client (up to the request's attempts), without a message,
/// and checked against the same frame and number. The client closes once every chunk has landed.</para>
/// </remarks>
internal static class CudaIpcWire
{
    public const int HandleFrameBytes = 32 + CudaIpc.HandleBytes;
    public const uint HandleMagic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'G' << 24;

    public static void WriteHandle(Span<byte> frame, long allocationBytes, long imageOffset, ReadOnlySpan<byte> handle)
    {
        frame[..HandleFrameBytes].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(frame, HandleMagic);
        BinaryPrimitives.WriteInt64LittleEndian(frame[8..], allocationBytes);
        BinaryPrimitives.WriteInt64LittleEndian(frame[16..], imageOffset);
        handle.CopyTo(frame[32..]);
    }

    /// <summary>Parses a handle frame; false when its magic is wrong.</summary>
    public static bool TryReadHandle(ReadOnlySpan<byte> frame, out long allocationBytes, out long imageOffset, out byte[] handle)
    {
        allocationBytes = BinaryPrimitives.ReadInt64LittleEndian(frame[8..]);
        imageOffset = BinaryPrimitives.ReadInt64LittleEndian(frame[16..]);
        handle = frame.Slice(32, CudaIpc.HandleBytes).ToArray();
        return BinaryPrimitives.ReadUInt32LittleEndian(frame) == HandleMagic;
    }
}
