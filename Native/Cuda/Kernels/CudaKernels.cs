using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Cuda.Kernels;

/// <summary>
/// The kernels of <see cref="KernelSource"/> loaded into a context, with one typed launch method each. Every launch is
/// queued on the given stream; argument order matches the CUDA signatures in the source.
/// </summary>
internal sealed class CudaKernels : IDisposable
{
    private const int MaxArguments = 16;
    private readonly CudaModule _module;

    private CudaKernels(CudaModule module, bool fromCache)
    {
        _module = module;
        FromCache = fromCache;
    }

    /// <summary>Whether the image came from the disk cache rather than NVRTC.</summary>
    public bool FromCache { get; }

    /// <summary>Compiles (or finds in <paramref name="cache"/>) the kernels for the context's architecture and loads them.</summary>
    /// <exception cref="NvrtcCompileException">The source did not compile; the log says where.</exception>
    public static CudaKernels Load(CudaContext context, KernelCache cache)
    {
        var key = KernelCacheKey.Of(KernelSource.Text, context.Arch, KernelSource.Options);
        byte[] image = cache.GetOrCompile(key,
            () => Nvrtc.CompileToCubin(KernelSource.Text, KernelSource.ProgramName, context.Arch, KernelSource.Options), out bool hit);
        var module = CudaModule.Load(context, image);
        try
        {
            // Resolve every entry point now, so a missing kernel fails at start-up, not mid-batch.
            foreach (string name in KernelSource.EntryPoints) module.Function(name);
            return new CudaKernels(module, hit);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    public unsafe void EmbedGather(CudaStream stream, ulong output, ulong table, DType dtype, ulong tokens, int count, int hidden)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add(table); a.Add((int)dtype); a.Add(tokens); a.Add(hidden);
        Launch("embed_gather", LaunchDims.Rows(count), stream, a.Pointers);
    }

    public unsafe void RmsNorm(CudaStream stream, ulong output, DType outputType, ulong x, ulong weight, DType weightType, int rows, int width, float eps)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add((int)outputType); a.Add(x); a.Add(weight); a.Add((int)weightType); a.Add(width); a.Add(eps);
        Launch("rms_norm", LaunchDims.Rows(rows), stream, a.Pointers);
    }

    public unsafe void Convert(CudaStream stream, ulong output, DType outputType, ulong input, long elements)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add((int)outputType); a.Add(input); a.Add(elements);
        Launch("convert_rows", LaunchDims.Flat(elements), stream, a.Pointers);
    }

    public unsafe void AddBias(CudaStream stream, ulong x, ulong bias, DType biasType, int rows, int width)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(x); a.Add(bias); a.Add((int)biasType); a.Add(width);
        Launch("add_bias", LaunchDims.PerRow(width, rows), stream, a.Pointers);
    }

    public unsafe void SiluMul(CudaStream stream, ulong output, DType outputType, ulong gateUp, int rows, int width)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add((int)outputType); a.Add(gateUp); a.Add(width);
        Launch("silu_mul", LaunchDims.PerRow(width, rows), stream, a.Pointers);
    }

    public unsafe void RopeStoreKv(CudaStream stream, ulong qkv, ulong cosSin, ulong positions, ulong slots, ulong keys, ulong values,
        int tokens, int heads, int kvHeads, int headDim)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(qkv); a.Add(cosSin); a.Add(positions); a.Add(slots); a.Add(keys); a.Add(values);
        a.Add(heads); a.Add(kvHeads); a.Add(headDim);
        Launch("rope_store_kv", LaunchDims.Rows(tokens), stream, a.Pointers);
    }

    public unsafe void AttentionPrefill(CudaStream stream, ulong output, ulong qkv, ulong keys, ulong values, ulong tiles, int tileCount,
        ulong blockTables, int maxBlocks, int blockSize, int heads, int kvHeads, int headDim, float scale)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add(qkv); a.Add(keys); a.Add(values); a.Add(tiles); a.Add(blockTables); a.Add(maxBlocks); a.Add(blockSize);
        a.Add(heads); a.Add(kvHeads); a.Add(headDim); a.Add(scale);
        Launch("attention_prefill", LaunchDims.AttentionPrefill(tileCount, heads), stream, a.Pointers);
    }

    public unsafe void AttentionDecode(CudaStream stream, ulong output, ulong qkv, ulong keys, ulong values, ulong decodeTokens, int decodeCount,
        ulong tokenSegments, ulong positions, ulong blockTables, int maxBlocks, int blockSize, int heads, int kvHeads, int headDim, float scale)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add(qkv); a.Add(keys); a.Add(values); a.Add(decodeTokens); a.Add(tokenSegments); a.Add(positions);
        a.Add(blockTables); a.Add(maxBlocks); a.Add(blockSize); a.Add(heads); a.Add(kvHeads); a.Add(headDim); a.Add(scale);
        Launch("attention_decode", LaunchDims.AttentionDecode(decodeCount, heads), stream, a.Pointers);
    }

    public unsafe void CausalSoftmaxRows(CudaStream stream, ulong scores, int length, int batch)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(scores); a.Add(length);
        Launch("causal_softmax_rows", LaunchDims.SoftmaxRows(length, batch), stream, a.Pointers);
    }

    public unsafe void Argmax(CudaStream stream, ulong output, ulong logits, int rows, int vocab)
    {
        Span<ulong> v = stackalloc ulong[MaxArguments];
        Span<nint> p = stackalloc nint[MaxArguments];
        var a = new KernelArguments(v, p);
        a.Add(output); a.Add(logits); a.Add(vocab);
        Launch("argmax_rows", LaunchDims.Rows(rows), stream, a.Pointers);
    }

    private void Launch(string name, LaunchShape shape, CudaStream stream, ReadOnlySpan<nint> arguments) =>
        _module.Function(name).Launch(shape.Grid, shape.Block, 0, stream, arguments);

    /// <summary>Unloads the module.</summary>
    public void Dispose() => _module.Dispose();
}
