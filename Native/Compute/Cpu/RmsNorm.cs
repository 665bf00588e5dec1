using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>RMSNorm: <c>out = x / sqrt(mean(x²) + eps) * weight</c>, row by row.</summary>
internal static class RmsNorm
{
    /// <summary>Normalizes each of the <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="output"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, int rows, Span<float> output)
    {
        int width = weight.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * width, width);
            var o = output.Slice(r * width, width);
            float ss = TensorPrimitives.SumOfSquares(row) / width + eps;
            float scale = 1.0f / MathF.Sqrt(ss);
            TensorPrimitives.Multiply(row, scale, o);
            TensorPrimitives.Multiply(o, weight, o);
        }
    }
}
