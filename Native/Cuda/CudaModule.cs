using System.Text;
using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>Compiled device code (a cubin, e.g. from <see cref="Nvrtc.CompileToCubin"/>) loaded into a context (CUmodule).</summary>
public sealed class CudaModule : IDisposable
{
    private readonly Dictionary<string, CudaFunction> _functions = new(StringComparer.Ordinal);
    private nint _handle;

    private CudaModule(CudaContext context, nint handle)
    {
        Context = context;
        _handle = handle;
    }

    internal CudaContext Context { get; }

    /// <summary>Loads <paramref name="image"/> into the most recently opened <see cref="CudaContext"/>.</summary>
    /// <exception cref="InvalidOperationException">No context is open.</exception>
    public static CudaModule Load(byte[] image) => Load(CudaContext.Ambient("cuModuleLoadData"), image);

    /// <summary>Loads a cubin (or PTX, NUL-terminated) into <paramref name="context"/> (cuModuleLoadData).</summary>
    /// <exception cref="CudaException">E.g. CUDA_ERROR_NO_BINARY_FOR_GPU when the cubin is for another architecture.</exception>
    public static unsafe CudaModule Load(CudaContext context, byte[] image)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(image);
        if (image.Length == 0) throw new ArgumentException("the module image is empty", nameof(image));
        context.MakeCurrent();
        nint module;
        fixed (byte* data = image)
            CudaCheck.Driver(CuDriver.cuModuleLoadData(&module, data), "cuModuleLoadData", $"{image.Length}-byte image");
        return new CudaModule(context, module);
    }

    /// <summary>The kernel named <paramref name="name"/> (its <c>extern "C"</c> name), looked up once.</summary>
    /// <exception cref="CudaException">CUDA_ERROR_NOT_FOUND: the module has no such kernel.</exception>
    public unsafe CudaFunction Function(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_functions)
        {
            if (_functions.TryGetValue(name, out var known)) return known;
            Context.MakeCurrent();
            var utf8 = Encoding.UTF8.GetBytes(name + '\0');
            nint function;
            fixed (byte* text = utf8)
                CudaCheck.Driver(CuDriver.cuModuleGetFunction(&function, Handle, text), "cuModuleGetFunction", $"kernel \"{name}\"");
            var found = new CudaFunction(this, function, name);
            _functions[name] = found;
            return found;
        }
    }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaModule));

    /// <summary>Unloads the module (cuModuleUnload); its functions may not be launched afterwards.</summary>
    public void Dispose()
    {
        nint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0 || Context.IsDisposed) return;
        Context.MakeCurrent();
        CudaCheck.Release(CuDriver.cuModuleUnload(handle), "cuModuleUnload");
    }
}
