using System.Runtime.CompilerServices;
namespace BlitzScale.Native.Compute.Cpu;

/// <summary>SwiGLU: <c>out = silu(gate) * up</c>, reading the fused [gate | up] rows.</summary>
internal static class SwiGlu
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> gateUp, int rows, int width, Span<float> output)
    {
        for (int r = 0; r < rows; r++)
        {
            var gate = gateUp.Slice(r * 2 * width, width);
            var up = gateUp.Slice(r * 2 * width + width, width);
            var o = output.Slice(r * width, width);
            for (int i = 0; i < width; i++)
            {
                float g = gate[i];
                o[i] = g * (1.0f / (1.0f + MathF.Exp(-g))) * up[i];
            }
        }
    }
}
