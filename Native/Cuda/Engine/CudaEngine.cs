using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda.Kernels;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// The cuda backend: the cpu backend's forward pass on one GPU. The parameter image is one device allocation laid out
/// like <see cref="ParameterImage"/>; keys and values live in the engine's own device KV store (the cpu backend's block
/// layout, every layer); kernels come from NVRTC (cached on disk) and GEMMs from cuBLAS with f32 accumulation.
/// </summary>
/// <remarks>
/// <para><b>Host boundary.</b> <see cref="ILayerEngine"/> passes <see cref="HiddenStates"/> as host objects, so
/// <see cref="Embed"/>, <see cref="RunLayers(Batch, HiddenStates)"/> and <see cref="Head"/> copy them
/// in and out: (tokens × hidden × 4) bytes each way per call, plus the batch's small tables. Between the layers of one
/// <c>RunLayers</c> call nothing leaves the device. Callers running several ranges on one engine can keep the states on
/// the device with <see cref="Upload"/>, <see cref="RunLayers(Batch, DeviceHiddenStates)"/> and <see cref="Download"/>.</para>
/// <para><b>Layer ranges.</b> Segments that share a layer range run together; when a batch mixes ranges, each group's
/// rows are gathered into device scratch, run, and scattered back (device-to-device copies on the engine's stream).</para>
/// <para><b>Precision.</b> Activations, keys and values are f32 as on the cpu. cuBLAS has no bf16·f32 GEMM, so each
/// GEMM's input is written in its weight's dtype by the kernel before it (RMSNorm, SiLU-and-multiply, a convert for the
/// attention output): f32 models multiply in f32 (no TF32), bf16/f16 models on tensor cores with f32 accumulation, which
/// rounds the activations to bf16/f16 where the cpu keeps them f32.</para>
/// <para><b>Attention.</b> Decode tokens and prefills that continue a cached prefix run the tiled kernels. A prefill
/// that starts at position 0 with <see cref="GemmAttentionMinTokens"/> tokens or more runs as cuBLAS GEMMs around a
/// softmax kernel (tensor cores; TF32 scores for bf16/f16 models), as long as its scores fit
/// <see cref="GemmAttentionScoreBytes"/>.</para>
/// <para><b>KV store.</b> One device allocation of the shape given at <see cref="Open"/>, for every layer, made at open
/// and freed by <see cref="Dispose"/>; no host copy exists.</para>
/// </remarks>
public sealed unsafe class CudaEngine : ILayerEngine
{
    private readonly CudaContext _context;
    private readonly DeviceImage _image;
    private readonly CudaStream _stream;
    private readonly CublasHandle _blas;
    private readonly CudaKernels _kernels;
    private readonly ChunkedUploader _uploader;
    private readonly DeviceForward _forward;
    private readonly DeviceLayerWeights?[] _layers;
    private readonly DeviceKvStore _kv;
    private DeviceWorkspace? _workspace;
    // Per-step scratch, reused across steps: batch tables, RoPE table, token ids, the hidden states of the
    // ILayerEngine calls, the rows of one layer group of a mixed-range batch, the head's rows, normed rows and
    // logits, and the greedy ids.
    private readonly GrowingBuffer _tables, _ropeTable, _ids, _hidden, _groupRows, _headRows, _headNormed, _logits, _greedy;
    private int _ropePositions;

    private CudaEngine(CudaContext context, ImageLayout layout, KvStoreShape kv, string kernelCache)
    {
        _context = context;
        Config = layout.Config;
        LaunchDims.CheckHeadDim(Config.HeadDim);
        _layers = new DeviceLayerWeights?[Config.NumLayers];
        var owned = new List<IDisposable>();
        try
        {
            _image = Track(new DeviceImage(context, layout), owned);
            _stream = Track(context.CreateStream(), owned);
            _blas = Track(CublasHandle.Create(context), owned);
            _blas.SetStream(_stream);
            _kernels = Track(CudaKernels.Load(context, new KernelCache(kernelCache)), owned);
            _uploader = Track(new ChunkedUploader(context), owned);
            _kv = Track(new DeviceKvStore(context, Config, kv), owned);
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
            throw;
        }
        KvShape = kv;
        _forward = new DeviceForward(Config, _kernels, _blas, _stream);
        _tables = new GrowingBuffer(context, _stream);
        _ropeTable = new GrowingBuffer(context, _stream);
        _ids = new GrowingBuffer(context, _stream);
        _hidden = new GrowingBuffer(context, _stream);
        _groupRows = new GrowingBuffer(context, _stream);
        _headRows = new GrowingBuffer(context, _stream);
        _headNormed = new GrowingBuffer(context, _stream);
        _logits = new GrowingBuffer(context, _stream);
        _greedy = new GrowingBuffer(context, _stream);
    }

    /// <summary>
    /// Opens device <paramref name="device"/>, allocates an (empty) image for <paramref name="layout"/> and a zeroed KV store of
    /// <paramref name="kv"/> (<see cref="KvStoreShape.Bytes"/>), and loads the kernels, compiling them on first use into
    /// <paramref name="kernelCacheDirectory"/> (default <c>$BLITZSCALE_CACHE/cuda-kernels</c>).
    /// </summary>
    /// <exception cref="CudaUnavailableException">No driver or no device: the message starts with "no CUDA device".</exception>
    /// <exception cref="NotSupportedException">The model's head dimension is one the attention kernels do not handle.</exception>
    /// <exception cref="CudaException">A CUDA, cuBLAS or NVRTC call failed (out of memory, a compile error with its log, …).</exception>
    public static CudaEngine Open(ImageLayout layout, KvStoreShape kv, int device = 0, string? kernelCacheDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kv.Blocks, nameof(kv));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kv.BlockSize, nameof(kv));
        LaunchDims.CheckHeadDim(layout.Config.HeadDim);
        var context = CudaContext.Open(device);
        try
        {
            return new CudaEngine(context, layout, kv, kernelCacheDirectory ?? KernelCache.DefaultDirectory);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Default of <see cref="GemmAttentionMinTokens"/>.</summary>
    public const int DefaultGemmAttentionMinTokens = 128;

    /// <summary>Default of <see cref="GemmAttentionScoreBytes"/>: 1 GiB, an 8192-token prompt for a model with 4 query heads per KV head.</summary>
    public const long DefaultGemmAttentionScoreBytes = 1L << 30;

    /// <summary>
    /// Prefills from position 0 of at least this many tokens compute attention with cuBLAS GEMMs instead of the tiled
    /// kernel; <see cref="int.MaxValue"/> never does. At least 2.
    /// </summary>
    public int GemmAttentionMinTokens
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            field = value;
        }
    } = DefaultGemmAttentionMinTokens;

    /// <summary>Device memory the GEMM attention's scores may take; longer prompts use the tiled kernel.</summary>
    public long GemmAttentionScoreBytes
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = DefaultGemmAttentionScoreBytes;

    /// <inheritdoc/>
    public LlamaConfig Config { get; }

    /// <inheritdoc/>
    public int LoadedLayers => _image.LoadedLayerPrefix;

    /// <inheritdoc/>
    public int LoadedSuffixFrom => _image.LoadedLayerSuffix;

    /// <inheritdoc/>
    public KvStoreShape KvShape { get; }

    /// <summary>The layout of the device image.</summary>
    public ImageLayout Layout => _image.Layout;

    /// <summary>The device image: blob b occupies <c>[Layout.Blobs[b].Offset, + ByteLength)</c>; call <see cref="MarkLoaded"/> after writing one.</summary>
    public DeviceBuffer ImageBuffer => _image.Buffer;

    /// <summary>The device's name.</summary>
    public string DeviceName => _context.Name;

    /// <summary>Whether the kernels were found in the disk cache (false: NVRTC compiled them at open).</summary>
    public bool KernelsFromCache => _kernels.FromCache;

    /// <summary>Whether blob <paramref name="blob"/> is on the device.</summary>
    public bool IsLoaded(int blob) => _image.IsLoaded(blob);

    /// <summary>Marks a blob written into <see cref="ImageBuffer"/> by someone else (the data plane) as present.</summary>
    public void MarkLoaded(int blob) => _image.MarkLoaded(blob);

    /// <summary>Copies one blob from a host image through pinned staging chunks and marks it present.</summary>
    public void LoadBlob(ParameterImage source, int blob)
    {
        ArgumentNullException.ThrowIfNull(source);
        _image.Load(source, blob, _uploader);
    }

    /// <summary>Copies every blob present in <paramref name="source"/>, in image order.</summary>
    public void LoadFrom(ParameterImage source)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (int b = 0; b < Layout.Blobs.Count; b++)
        {
            if (source.IsLoaded(b)) LoadBlob(source, b);
        }
    }

    /// <inheritdoc/>
    public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination)
    {
        slice.Check(Config, KvShape, blocks, destination.Length);
        // The steps queued before write this sequence's keys and values.
        _stream.Synchronize();
        var bytes = MemoryMarshal.AsBytes(destination);
        foreach (var (store, host, length) in KvCopies(blocks, slice)) _kv.Buffer.CopyTo(bytes.Slice(host, length), store);
    }

    /// <inheritdoc/>
    public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source)
    {
        slice.Check(Config, KvShape, blocks, source.Length);
        _stream.Synchronize();
        var bytes = MemoryMarshal.AsBytes(source);
        foreach (var (store, host, length) in KvCopies(blocks, slice)) _kv.Buffer.CopyFrom(bytes.Slice(host, length), store);
    }

    // The slice's copies in bytes: where in the KV store, where in the host buffer, how many.
    private IEnumerable<(long Store, int Host, int Length)> KvCopies(IReadOnlyList<int> blocks, KvSlice slice)
    {
        long rowBytes = (long)Config.KvDim * sizeof(float);
        foreach (var c in slice.Copies(blocks, KvShape.BlockSize))
        {
            long layer = c.Values ? _kv.ValuesOffset(c.Layer) : _kv.KeysOffset(c.Layer);
            yield return (layer + c.Slot * rowBytes, (int)(c.Row * rowBytes), (int)(c.Count * rowBytes));
        }
    }

    /// <inheritdoc/>
    public HiddenStates Embed(ReadOnlySpan<int> tokens)
    {
        RequireBlob(0, "the embedding");
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} is outside the vocabulary of {Config.VocabSize}");
        }
        var head = HeadWeights();
        var ids = _ids.AtLeast(Math.Max(1, tokens.Length) * sizeof(int));
        ids.CopyFrom(MemoryMarshal.AsBytes(tokens));
        var device = ScratchHidden(tokens.Length, Config.HiddenSize);
        _kernels.EmbedGather(_stream, device.Buffer.Pointer, head.Embedding.Pointer, head.Embedding.DType, ids.Pointer, tokens.Length, Config.HiddenSize);
        var hidden = new HiddenStates(tokens.Length, Config.HiddenSize);
        Download(device, hidden);
        return hidden;
    }

    /// <inheritdoc/>
    public void RunLayers(Batch batch, HiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var device = ScratchHidden(hidden.Tokens, hidden.Width);
        device.Buffer.CopyFrom(MemoryMarshal.AsBytes(hidden.Data.AsSpan()));
        RunLayers(batch, device);
        Download(device, hidden);
    }

    /// <summary>
    /// Runs every segment's own layer range on hidden states already on the device, as <see cref="RunLayers(Batch, HiddenStates)"/>
    /// does; returns once the work is queued.
    /// </summary>
    /// <exception cref="ArgumentException">A segment's range is beyond the loaded layers, or its blocks are outside the store or too few.</exception>
    public void RunLayers(Batch batch, DeviceHiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var groups = LayerGroups.Of(batch, hidden.Tokens, hidden.Width, Config, LoadedLayers, LoadedSuffixFrom, KvShape);
        long rowBytes = (long)hidden.Width * sizeof(float);
        foreach (var group in groups)
        {
            if (group.IsWholeBatch)
            {
                RunRange(group, hidden.Buffer.Pointer);
                continue;
            }
            var rows = _groupRows.AtLeast(Math.Max(1, group.Batch.TokenCount) * rowBytes);
            long at = 0;
            foreach (var r in group.Rows)
            {
                rows.CopyFromAsync(hidden.Buffer, r.Row * rowBytes, at, r.Count * rowBytes, _stream);
                at += r.Count * rowBytes;
            }
            RunRange(group, rows.Pointer);
            at = 0;
            foreach (var r in group.Rows)
            {
                hidden.Buffer.CopyFromAsync(rows, at, r.Row * rowBytes, r.Count * rowBytes, _stream);
                at += r.Count * rowBytes;
            }
        }
    }

    // Queues the layers of one group, whose rows are at `rows`.
    private void RunRange(LayerGroup group, ulong rows)
    {
        var ws = WorkspaceFor(group.Batch.TokenCount);
        var deviceBatch = UploadTables(BatchTables.Build(group.Batch, KvShape.BlockSize, Config.KvDim, (GemmAttentionMinTokens, GemmAttentionMaxTokens())));
        for (int layer = group.FirstLayer; layer < group.EndLayer; layer++)
            _forward.Layer(WeightsOf(layer), deviceBatch, _kv.Keys(layer), _kv.Values(layer), KvShape.BlockSize, ws, rows);
    }

    /// <inheritdoc/>
    public float[] Head(Batch batch, HiddenStates hidden)
    {
        var logits = HeadOnDevice(batch, hidden);
        var result = new float[batch.Segments.Count * Config.VocabSize];
        _stream.Synchronize();
        logits.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>The greedy next token of each segment: <see cref="Head"/> and an argmax on the device (the lowest id wins ties), copying back only the ids.</summary>
    public int[] Greedy(Batch batch, HiddenStates hidden)
    {
        var logits = HeadOnDevice(batch, hidden);
        int segments = batch.Segments.Count;
        var ids = _greedy.AtLeast(segments * sizeof(int));
        _kernels.Argmax(_stream, ids.Pointer, logits.Pointer, segments, Config.VocabSize);
        var result = new int[segments];
        _stream.Synchronize();
        ids.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>Copies host hidden states to the device.</summary>
    public DeviceHiddenStates Upload(HiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var device = NewHidden(hidden.Tokens, hidden.Width);
        device.Buffer.CopyFrom(MemoryMarshal.AsBytes(hidden.Data.AsSpan()));
        return device;
    }

    /// <summary>Waits for the queued work and copies device hidden states into <paramref name="destination"/> (same shape).</summary>
    public void Download(DeviceHiddenStates source, HiddenStates destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.Tokens != destination.Tokens || source.Width != destination.Width)
            throw new ArgumentException($"device states are {source.Tokens}×{source.Width}, the host states {destination.Tokens}×{destination.Width}", nameof(destination));
        _stream.Synchronize();
        source.Buffer.CopyTo(MemoryMarshal.AsBytes(destination.Data.AsSpan()));
    }

    /// <summary>Waits until everything queued has run; asynchronous errors surface here.</summary>
    public void Synchronize() => _stream.Synchronize();

    /// <summary>Frees every device resource and releases the context.</summary>
    public void Dispose()
    {
        try
        {
            _stream.Synchronize();
        }
        catch (CudaException)
        {
            // An asynchronous failure was (or will never be) reported to a caller; freeing must go on.
        }
        _kv.Dispose();
        _workspace?.Dispose();
        foreach (var scratch in new[] { _tables, _ropeTable, _ids, _hidden, _groupRows, _headRows, _headNormed, _logits, _greedy }) scratch.Dispose();
        _uploader.Dispose();
        _kernels.Dispose();
        _blas.Dispose();
        _stream.Dispose();
        _image.Dispose();
        _context.Dispose();
    }

    private DeviceBuffer HeadOnDevice(Batch batch, HiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(hidden);
        RequireBlob(Layout.Head.Index, "the final norm and head");
        if (Config.TieWordEmbeddings) RequireBlob(0, "the embedding (tied to the head)");
        var weights = HeadWeights();
        int h = Config.HiddenSize, segments = batch.Segments.Count;
        var last = hidden.LastRowOfEachSegment(batch);
        var rows = _headRows.AtLeast((long)segments * h * sizeof(float));
        var normed = _headNormed.AtLeast((long)segments * h * sizeof(float));
        rows.CopyFrom(MemoryMarshal.AsBytes(last.AsSpan()));
        var logits = _logits.AtLeast((long)segments * Config.VocabSize * sizeof(float));
        _kernels.RmsNorm(_stream, normed.Pointer, weights.Head.DType, rows.Pointer, weights.FinalNorm.Pointer, weights.FinalNorm.DType, segments, h, (float)Config.RmsNormEps);
        _forward.Gemm(segments, Config.VocabSize, h, weights.Head, normed.Pointer, logits.Pointer, beta: 0);
        return logits;
    }

    private DeviceHeadWeights HeadWeights() => DeviceHeadWeights.Of(Layout, _image.Buffer.Pointer);

    private DeviceLayerWeights WeightsOf(int layer) => _layers[layer] ??= DeviceLayerWeights.Of(Layout, _image.Buffer.Pointer, layer);

    private static long HiddenBytes(int tokens, int width) => (long)Math.Max(1, tokens) * width * sizeof(float);

    private DeviceHiddenStates NewHidden(int tokens, int width) => new(_context.Allocate(HiddenBytes(tokens, width)), tokens, width);

    /// <summary>Hidden states in the engine's scratch, for the ILayerEngine calls: valid until the next such call.</summary>
    private DeviceHiddenStates ScratchHidden(int tokens, int width) => new(_hidden.AtLeast(HiddenBytes(tokens, width)), tokens, width, owned: false);

    // The longest prompt whose scores fit the budget: group × L² × 4 bytes.
    private int GemmAttentionMaxTokens() =>
        (int)Math.Min(int.MaxValue, Math.Sqrt(GemmAttentionScoreBytes / (double)DeviceForward.ScoreBytes(Config, 1)));

    private DeviceWorkspace WorkspaceFor(int tokens)
    {
        if (_workspace is { } ws && ws.Tokens >= tokens) return ws;
        int capacity = Math.Max(tokens, (_workspace?.Tokens ?? 0) * 2);
        if (_workspace is not null)
        {
            _stream.Synchronize();
            _workspace.Dispose();
            _workspace = null;
        }
        _workspace = new DeviceWorkspace(_context, _stream, Config, capacity);
        return _workspace;
    }

    private DeviceBatch UploadTables(BatchTables tables)
    {
        byte[] packed = tables.Packed();
        var buffer = _tables.AtLeast(Math.Max(packed.Length, 4096));
        // A synchronous copy on the legacy stream waits for the kernels still reading the previous tables.
        buffer.CopyFrom(packed);
        if (tables.MaxPosition >= _ropePositions)
        {
            int positions = RopeTable.CapacityFor(tables.MaxPosition, _ropePositions, Config.MaxPositionEmbeddings);
            float[] values = RopeTable.Compute(Config, positions);
            _ropeTable.AtLeast((long)values.Length * sizeof(float)).CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
            _ropePositions = positions;
        }
        return new DeviceBatch(tables, buffer.Pointer, _ropeTable.Current.Pointer);
    }

    private void RequireBlob(int blob, string what)
    {
        if (!_image.IsLoaded(blob))
            throw new InvalidOperationException($"parameters of {what} (blob {blob}) are not on the device");
    }

    private static T Track<T>(T resource, List<IDisposable> owned) where T : IDisposable
    {
        owned.Add(resource);
        return resource;
    }
}
