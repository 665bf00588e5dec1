using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;

namespace BlitzScale.Native.Safetensors;

/// <summary>
/// One safetensors file, memory-mapped read-only and validated on open. Tensor bytes are views into the mapping:
/// nothing is copied, and the views are valid only until the file is disposed.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorInfo> _tensors;
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* @base,
        SafetensorsHeader header)
    {
        FilePath = path;
        _mapping = mapping;
        _view = view;
        _base = @base;
        _tensors = header.Tensors;
        Tensors = header.Tensors.AsReadOnly();
        Metadata = header.Metadata.AsReadOnly();
    }

    /// <summary>The path the file was opened from.</summary>
    public string FilePath { get; }

    /// <summary>The tensors in the file, by name (ordinal), in header order.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> entries; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Maps <paramref name="path"/> read-only and validates its header against its size.</summary>
    /// <exception cref="SafetensorsException">The file is malformed; the message says where and how.</exception>
    /// <exception cref="IOException">The file cannot be opened (missing, no access).</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long length = stream.Length;
        if (length < SafetensorsHeader.PrefixLength)
        {
            stream.Dispose();
            throw new SafetensorsException(path, null,
                $"file is {length} bytes, shorter than the {SafetensorsHeader.PrefixLength}-byte header length prefix");
        }

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        byte* @base = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            // Acquired once for the file's lifetime, so lookups are plain pointer arithmetic.
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref @base);
            @base += view.PointerOffset;
            var header = ReadHeader(path, @base, length);
            return new SafetensorsFile(path, mapping, view, @base, header);
        }
        catch
        {
            if (@base != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (mapping is null) stream.Dispose();
            else mapping.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's bytes, without copying. Valid until this file is disposed.</summary>
    /// <exception cref="SafetensorsException">No such tensor, or it is over <see cref="int.MaxValue"/> bytes.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = Find(name);
        if (info.ByteLength > int.MaxValue) ThrowTooLargeForSpan(info);
        return new ReadOnlySpan<byte>(_base + info.DataOffset, (int)info.ByteLength);
    }

    /// <summary>The tensor's first byte in the mapping, for tensors of any size. Valid until disposal.</summary>
    internal byte* GetPointer(string name) => _base + Find(name).DataOffset;

    /// <summary>Unmaps the file; spans and pointers obtained from it must no longer be used.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    private TensorInfo Find(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_tensors.TryGetValue(name, out var info)) ThrowNotFound(name);
        return info;
    }

    private static SafetensorsHeader ReadHeader(string path, byte* @base, long fileLength)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(@base, SafetensorsHeader.PrefixLength));
        ulong available = (ulong)(fileLength - SafetensorsHeader.PrefixLength);
        if (headerLength == 0)
            throw new SafetensorsException(path, null, "header length is 0: expected a JSON header after the 8-byte prefix");
        if (headerLength > available)
        {
            throw new SafetensorsException(path, null,
                $"header length {headerLength} is larger than the {available} bytes after the 8-byte prefix "
                + $"(file size {fileLength} bytes); is this a safetensors file?");
        }
        if (headerLength > SafetensorsHeader.MaxLength)
        {
            throw new SafetensorsException(path, null,
                $"header length {headerLength} exceeds the limit of {SafetensorsHeader.MaxLength} bytes");
        }
        var json = new ReadOnlySpan<byte>(@base + SafetensorsHeader.PrefixLength, (int)headerLength);
        return SafetensorsHeaderReader.Read(path, json, fileLength);
    }

    [DoesNotReturn]
    private void ThrowNotFound(string name) =>
        throw new SafetensorsException(FilePath, name, $"not found (key not found): the file holds {_tensors.Count} tensors");

    [DoesNotReturn]
    private void ThrowTooLargeForSpan(TensorInfo info) =>
        throw new SafetensorsException(FilePath, info.Name,
            $"is {info.ByteLength} bytes, more than a span can hold ({int.MaxValue} bytes); copy it in pieces instead");
}
