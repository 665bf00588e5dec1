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
        // bf16/f16 models already round activations to 7 or 10 bits before each GEMM: TF32 scores lose nothing more.
        var scoreCompute = w.Qkv.DType == DType.F32 ? CublasComputeType.F32 : CublasComputeType.F32FastTf32;
        foreach (var (firstToken, count) in batch.Tables.GemmSegments)
            GemmAttention(firstToken, count, ws, scoreCompute);
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

    /// <summary>Bytes of scores <see cref="GemmAttention"/> needs for a segment of <paramref name="tokens"/>: one query head group's.</summary>
    public static long ScoreBytes(LlamaConfig config, int tokens) => (long)QueryHeadsPerKvHead(config) * tokens * tokens * sizeof(float);

    private static int QueryHeadsPerKvHead(LlamaConfig config) => config.NumHeads / config.NumKvHeads;

    /// <summary>
    /// Causal attention of a segment that starts at position 0 (its keys and values are this step's rows of the qkv
    /// buffer, already rotated) as two strided-batched cuBLAS GEMMs per KV head around a softmax kernel: for the
    /// query heads h of KV head g, S_h = scale · Q_h · K_gᵀ, P_h = causal softmax of S_h's rows, O_h = P_h · V_g into
    /// the attention output. The GEMMs run on tensor cores (TF32 for bf16/f16 models), which the tiled kernel's f32
    /// CUDA-core arithmetic cannot; the price is the (heads per group) × L × L scores in device memory.
    /// </summary>
    private void GemmAttention(int firstToken, int count, DeviceWorkspace ws, CublasComputeType compute)
    {
        var c = config;
        int hd = c.HeadDim, group = QueryHeadsPerKvHead(c), qkvWidth = c.QueryDim + 2 * c.KvDim;
        const int F = sizeof(float);
        ulong scores = ws.Scores.AtLeast(ScoreBytes(c, count)).Pointer;
        ulong rows = ws.Qkv.Pointer + (ulong)((long)firstToken * qkvWidth * F);
        ulong output = ws.Attention.Pointer + (ulong)((long)firstToken * c.QueryDim * F);
        long square = (long)count * count;
        for (int g = 0; g < c.NumKvHeads; g++)
        {
            ulong queries = rows + (ulong)((long)g * group * hd * F);
            ulong keys = rows + (ulong)((long)(c.QueryDim + g * hd) * F);
            ulong values = rows + (ulong)((long)(c.QueryDim + c.KvDim + g * hd) * F);
            // Column-major, S_hᵀ (keys × queries) = K_g (hd × keys)ᵀ · Q_h (hd × queries): rows of S_h are contiguous.
            blas.GemmStridedBatched(CublasOperation.T, CublasOperation.N, count, count, hd,
                keys, CudaDataType.F32, qkvWidth, queries, CudaDataType.F32, qkvWidth, scores, CudaDataType.F32, count,
                strideA: 0, strideB: hd, strideC: square, batchCount: group, alpha: _scale, beta: 0, compute);
            kernels.CausalSoftmaxRows(stream, scores, count, group);
            // O_hᵀ (hd × queries) = V_g (hd × keys) · P_hᵀ (keys × queries), written at head h's columns of the output.
            blas.GemmStridedBatched(CublasOperation.N, CublasOperation.N, hd, count, count,
                values, CudaDataType.F32, qkvWidth, scores, CudaDataType.F32, count, output + (ulong)((long)g * group * hd * F), CudaDataType.F32, c.QueryDim,
                strideA: 0, strideB: square, strideC: hd, batchCount: group, alpha: 1, beta: 0, compute);
        }
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
