using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Safetensors;

/// <summary>Deterministic tensor contents and hand-built (possibly malformed) safetensors files.</summary>
internal static class TestTensors
{
    public static (TensorSpec Spec, byte[] Data) F32(string name, params long[] shape)
    {
        var spec = new TensorSpec(name, DType.F32, shape);
        var values = Enumerable.Range(0, (int)(spec.ByteLength / 4)).Select(i => i * 0.5f - 3f).ToArray();
        return (spec, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    public static (TensorSpec Spec, byte[] Data) F16(string name, params long[] shape)
    {
        var spec = new TensorSpec(name, DType.F16, shape);
        var values = Enumerable.Range(0, (int)(spec.ByteLength / 2)).Select(i => (Half)(i * 0.25f - 1f)).ToArray();
        return (spec, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    public static (TensorSpec Spec, byte[] Data) BF16(string name, params long[] shape)
    {
        var spec = new TensorSpec(name, DType.BF16, shape);
        // bfloat16 is the upper half of the binary32 bits.
        var values = Enumerable.Range(0, (int)(spec.ByteLength / 2))
            .Select(i => (ushort)(BitConverter.SingleToUInt32Bits(i * 1.5f + 2f) >> 16)).ToArray();
        return (spec, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>Writes an 8-byte length prefix, the header text and <paramref name="dataLength"/> zero bytes.</summary>
    public static string WriteRaw(string path, string header, long dataLength, ulong? headerLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return WriteRaw(path, json, dataLength, headerLength ?? (ulong)json.Length);
    }

    public static string WriteRaw(string path, byte[] header, long dataLength, ulong headerLength)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, headerLength);
        stream.Write(prefix);
        stream.Write(header);
        stream.Write(new byte[dataLength]);
        return path;
    }
}
