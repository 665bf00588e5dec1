using BlitzScale.Native.Models;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// Device scratch for a batch of up to <see cref="Tokens"/> tokens, reused across steps (grown by doubling). Buffers
/// that feed a GEMM are sized for f32 so they can hold the input in any weight dtype.
/// </summary>
internal sealed class DeviceWorkspace : IDisposable
{
    public DeviceWorkspace(CudaContext context, CudaStream stream, LlamaConfig c, int tokens)
    {
        Scores = new GrowingBuffer(context, stream);
        Tokens = tokens;
        long t = tokens;
        int qkv = c.QueryDim + 2 * c.KvDim;
        Normed = context.Allocate(t * c.HiddenSize * sizeof(float));
        Qkv = context.Allocate(t * qkv * sizeof(float));
        Attention = context.Allocate(t * c.QueryDim * sizeof(float));
        AttentionInput = context.Allocate(t * c.QueryDim * sizeof(float));
        GateUp = context.Allocate(t * 2 * c.IntermediateSize * sizeof(float));
        Activated = context.Allocate(t * c.IntermediateSize * sizeof(float));
    }

    public int Tokens { get; }
    /// <summary>(tokens, hidden): RMSNorm output in the next GEMM's weight dtype.</summary>
    public DeviceBuffer Normed { get; }
    /// <summary>(tokens, q_dim + 2 kv_dim) f32.</summary>
    public DeviceBuffer Qkv { get; }
    /// <summary>(tokens, q_dim) f32 attention output.</summary>
    public DeviceBuffer Attention { get; }
    /// <summary>(tokens, q_dim): the attention output in the O projection's dtype (unused for f32 weights).</summary>
    public DeviceBuffer AttentionInput { get; }
    /// <summary>(tokens, 2 intermediate) f32.</summary>
    public DeviceBuffer GateUp { get; }
    /// <summary>(tokens, intermediate): SiLU-and-multiply output in the down projection's dtype.</summary>
    public DeviceBuffer Activated { get; }

    /// <summary>
    /// Attention scores (GemmAttention), allocated on first use and replaced by a larger one when a longer prefill
    /// needs it (not doubled: it grows with the square of the prompt).
    /// </summary>
    public GrowingBuffer Scores { get; }

    public void Dispose()
    {
        Scores.Dispose();
        Normed.Dispose();
        Qkv.Dispose();
        Attention.Dispose();
        AttentionInput.Dispose();
        GateUp.Dispose();
        Activated.Dispose();
    }
}
