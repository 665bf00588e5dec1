using BlitzScale.Native.Cuda.Kernels;
using BlitzScale.Native.Models;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>Device addresses of one batch's uploaded <see cref="BatchTables"/> and RoPE table.</summary>
internal readonly record struct DeviceBatch(BatchTables Tables, ulong Base, ulong CosSin)
{
    public ulong Positions => Base + (ulong)Tables.Offsets.Positions;
    public ulong Slots => Base + (ulong)Tables.Offsets.Slots;
    public ulong TokenSegments => Base + (ulong)Tables.Offsets.TokenSegments;
    public ulong BlockTables => Base + (ulong)Tables.Offsets.BlockTables;
    public ulong PrefillTiles => Base + (ulong)Tables.Offsets.PrefillTiles;
    public ulong DecodeTokens => Base + (ulong)Tables.Offsets.DecodeTokens;
}

/// <summary>
/// One decoder layer on the device, the cpu backend's story step for step. Everything is queued on one stream and stays
/// in device memory; GEMM inputs are written in the weight's dtype (see <see cref="KernelSource"/>), outputs are f32,
/// and the residual adds are the GEMMs' own <c>beta = 1</c> (C = W·a + C), which saves a pass over the hidden states.
/// </summary>
internal sealed class DeviceForward(LlamaConfig config, CudaKernels kernels, CublasHandle blas, CudaStream stream)
{
    private readonly float _eps = (float)config.RmsNormEps;
    private readonly float _scale = 1.0f / MathF.Sqrt(config.HeadDim);

    public void Layer(DeviceLayerWeights w, DeviceBatch batch, ulong keys, ulong values, int blockSize, DeviceWorkspace ws, ulong hidden)
    {
        var c = config;
        int tokens = batch.Tables.Positions.Length, h = c.HiddenSize, qkvWidth = c.QueryDim + 2 * c.KvDim;

        // Attention block: x += O · attention(rope(Wqkv · rmsnorm(x)))
        kernels.RmsNorm(stream, ws.Normed.Pointer, w.Qkv.DType, hidden, w.InputNorm.Pointer, w.InputNorm.DType, tokens, h, _eps);
        Gemm(tokens, qkvWidth, h, w.Qkv, ws.Normed.Pointer, ws.Qkv.Pointer, beta: 0);
        if (w.QkvBias is { } bias)
            kernels.AddBias(stream, ws.Qkv.Pointer, bias.Pointer, bias.DType, tokens, qkvWidth);
        kernels.RopeStoreKv(stream, ws.Qkv.Pointer, batch.CosSin, batch.Positions, batch.Slots, keys, values, tokens, c.NumHeads, c.NumKvHeads, c.HeadDim);
        if (batch.Tables.TileCount > 0)
        {
            kernels.AttentionPrefill(stream, ws.Attention.Pointer, ws.Qkv.Pointer, keys, values, batch.PrefillTiles, batch.Tables.TileCount,
                batch.BlockTables, batch.Tables.MaxBlocks, blockSize, c.NumHeads, c.NumKvHeads, c.HeadDim, _scale);
        }
        if (batch.Tables.DecodeTokens.Length > 0)
        {
            kernels.AttentionDecode(stream, ws.Attention.Pointer, ws.Qkv.Pointer, keys, values, batch.DecodeTokens, batch.Tables.DecodeTokens.Length,
                batch.TokenSegments, batch.Positions, batch.BlockTables, batch.Tables.MaxBlocks, blockSize, c.NumHeads, c.NumKvHeads, c.HeadDim, _scale);
        }
        ulong attention = ws.Attention.Pointer;
        if (w.O.DType != DType.F32)
        {
            kernels.Convert(stream, ws.AttentionInput.Pointer, w.O.DType, attention, (long)tokens * c.QueryDim);
            attention = ws.AttentionInput.Pointer;
        }
        Gemm(tokens, h, c.QueryDim, w.O, attention, hidden, beta: 1);

        // MLP block: x += Wdown · (silu(Wgate · rmsnorm(x)) ⊙ Wup · rmsnorm(x))
        kernels.RmsNorm(stream, ws.Normed.Pointer, w.GateUp.DType, hidden, w.PostNorm.Pointer, w.PostNorm.DType, tokens, h, _eps);
        Gemm(tokens, 2 * c.IntermediateSize, h, w.GateUp, ws.Normed.Pointer, ws.GateUp.Pointer, beta: 0);
        kernels.SiluMul(stream, ws.Activated.Pointer, w.Down.DType, ws.GateUp.Pointer, tokens, c.IntermediateSize);
        Gemm(tokens, h, c.IntermediateSize, w.Down, ws.Activated.Pointer, hidden, beta: 1);
    }

    /// <summary>out (tokens, n) f32 = x (tokens, k) in the weight's dtype · W (n, k)ᵀ + beta · out.</summary>
    public void Gemm(int tokens, int n, int k, DeviceTensor weight, ulong x, ulong output, float beta)
    {
        var call = RowMajorGemm.For(tokens, n, k);
        var type = RowMajorGemm.TypeOf(weight.DType);
        blas.Gemm(call.TransA, call.TransB, call.M, call.N, call.K, weight.Pointer, type, call.Lda, x, type, call.Ldb,
            output, CudaDataType.F32, call.Ldc, 1, beta);
    }
}
