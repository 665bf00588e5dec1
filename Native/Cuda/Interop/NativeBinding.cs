using System.Runtime.InteropServices;

namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// One native library, opened on first use and never before, with its exports resolved one by one as they are first
/// called. <paramref name="libraries"/> are the sonames that provide it, preferred first (newest toolkit first): the
/// first that loads is used. A missing library or export becomes a <see cref="CudaUnavailableException"/> naming it,
/// not a crash.
/// </summary>
internal sealed class NativeBinding(IReadOnlyList<string> libraries, string unavailablePrefix)
{
    private readonly Lock _gate = new();
    private nint _handle;
    private string? _failure;
    private string? _loaded;

    public NativeBinding(string library, string unavailablePrefix) : this([library], unavailablePrefix)
    {
    }

    /// <summary>The soname that was loaded, else the preferred one.</summary>
    public string Library => _loaded ?? libraries[0];

    /// <summary>Opens the library if it is not open yet; false with the loader's reason when it cannot be.</summary>
    public bool TryLoad(out string reason)
    {
        lock (_gate)
        {
            if (_handle == 0 && _failure is null) Open();
            reason = _failure ?? "";
            return _failure is null;
        }
    }

    private void Open()
    {
        string? firstReason = null;
        foreach (string library in libraries)
        {
            try
            {
                _handle = NativeLibrary.Load(library);
                _loaded = library;
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                firstReason ??= LoaderReason(library, e.Message);
            }
        }
        // Kept: retrying a dlopen that failed costs a file-system search on every call.
        string others = string.Concat(libraries.Skip(1).Select(l => $", nor {l}"));
        _failure = $"{libraries[0]} could not be loaded ({firstReason}){others}";
    }

    /// <summary>
    /// The dlerror lines of the runtime's message ("libcuda.so.1: cannot open shared object file: …"), without its
    /// boilerplate about strace and LD_DEBUG.
    /// </summary>
    private static string LoaderReason(string library, string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(library, StringComparison.Ordinal) && !l.StartsWith("Unable to load", StringComparison.Ordinal))
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
