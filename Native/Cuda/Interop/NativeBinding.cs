using System.Runtime.InteropServices;

namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// One native library, opened on first use and never before, with its exports resolved one by one as they are first
/// called. A missing library or export becomes a <see cref="CudaUnavailableException"/> naming it, not a crash.
/// </summary>
internal sealed class NativeBinding(string library, string unavailablePrefix)
{
    private readonly Lock _gate = new();
    private nint _handle;
    private string? _failure;

    public string Library { get; } = library;

    /// <summary>Opens the library if it is not open yet; false with the loader's reason when it cannot be.</summary>
    public bool TryLoad(out string reason)
    {
        lock (_gate)
        {
            if (_handle == 0 && _failure is null)
            {
                try
                {
                    _handle = NativeLibrary.Load(Library);
                }
                catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
                {
                    // Kept: retrying a dlopen that failed costs a file-system search on every call.
                    _failure = LoaderReason(e.Message);
                }
            }
            reason = _failure is null ? "" : $"{Library} could not be loaded ({_failure})";
            return _failure is null;
        }
    }

    /// <summary>
    /// The dlerror lines of the runtime's message ("libcuda.so.1: cannot open shared object file: …"), without its
    /// boilerplate about strace and LD_DEBUG.
    /// </summary>
    private string LoaderReason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(Library, StringComparison.Ordinal) && !l.StartsWith("Unable to load", StringComparison.Ordinal))
            .ToList();
        return lines.Count > 0 ? string.Join("; ", lines) : message.Trim();
    }

    /// <summary>The address of <paramref name="name"/>, resolved once into <paramref name="slot"/>.</summary>
    public nint Export(ref nint slot, string name)
    {
        nint address = Volatile.Read(ref slot);
        if (address != 0) return address;
        if (!TryLoad(out string reason))
            throw new CudaUnavailableException(name, $"{unavailablePrefix}: {reason}");
        if (!NativeLibrary.TryGetExport(_handle, name, out address))
            throw new CudaUnavailableException(name, $"{unavailablePrefix}: {Library} has no export {name} (too old a version?)");
        Volatile.Write(ref slot, address);
        return address;
    }
}
