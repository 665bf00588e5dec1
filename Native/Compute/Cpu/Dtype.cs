using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>Widening of stored elements to f32.</summary>
internal static unsafe class Dtype
{
    /// <summary>Converts <c>destination.Length</c> elements at <paramref name="source"/> to f32.</summary>
    public static void ToSingle(byte* source, DType dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case DType.F32:
                new ReadOnlySpan<float>(source, destination.Length).CopyTo(destination);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(source, destination.Length), destination);
                break;
            case DType.BF16:
                Bf16ToSingle((ushort*)source, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    /// <summary>Eight bf16 values widened to f32: a bf16 is the upper half of an f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16(ushort* p)
    {
        if (Avx2.IsSupported)
            return Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();
        var (lower, upper) = Vector128.Widen(Vector128.Load(p));
        return Vector256.ShiftLeft(Vector256.Create(lower, upper), 16).AsSingle();
    }

    public static float Bf16ToSingle(ushort value) => BitConverter.Int32BitsToSingle(value << 16);

    /// <summary>Round-to-nearest-even f32 → bf16 (NaN stays NaN).</summary>
    public static ushort SingleToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static void Bf16ToSingle(ushort* source, Span<float> destination)
    {
        int i = 0;
        fixed (float* d = destination)
        {
            for (; i + 8 <= destination.Length; i += 8)
                LoadBf16(source + i).Store(d + i);
        }
        for (; i < destination.Length; i++)
            destination[i] = Bf16ToSingle(source[i]);
    }
}
