using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Safetensors;

/// <summary>
/// Writes a safetensors file as a stream: the header is written from the specs up front, then the tensors' bytes
/// in spec order, in as many pieces as the caller likes, so multi-gigabyte files never sit in memory.
/// </summary>
/// <remarks>
/// Call <see cref="Complete"/> to finish the file. <see cref="Dispose"/> also finishes it when every byte was
/// written; otherwise (typically while an exception unwinds) it deletes the incomplete file rather than leave a
/// truncated checkpoint behind.
/// </remarks>
public sealed class SafetensorsWriter : IDisposable
{
    // Large enough that small pieces are batched; larger writes bypass the buffer.
    private const int BufferSize = 1 << 20;

    private readonly string _path;
    private readonly IReadOnlyList<TensorSpec> _specs;
    private readonly long[] _ends;
    private readonly long _total;
    private readonly FileStream _stream;
    private long _written;
    private bool _completed;
    private bool _disposed;

    /// <summary>Creates (or overwrites) <paramref name="path"/> and writes the header for <paramref name="tensors"/>.</summary>
    /// <exception cref="ArgumentException">A spec has an empty or repeated name or a negative dimension.</exception>
    public SafetensorsWriter(string path, IReadOnlyList<TensorSpec> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        _path = path;
        _specs = tensors.ToArray();
        byte[] header = SafetensorsHeaderWriter.Build(_specs, metadata, out _ends);
        _total = _ends.Length == 0 ? 0 : _ends[^1];

        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize);
        try
        {
            Span<byte> prefix = stackalloc byte[SafetensorsHeader.PrefixLength];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            _stream.Write(prefix);
            _stream.Write(header);
        }
        catch
        {
            _stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Appends bytes to the current tensor, moving on to the next ones as each fills up.</summary>
    /// <exception cref="InvalidOperationException">The bytes would go past the last tensor, or the writer is finished.</exception>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_completed || _disposed) ThrowFinished();
        if (data.Length > _total - _written) ThrowTooMuch(data.Length);
        _stream.Write(data);
        _written += data.Length;
    }

    /// <summary>Checks every tensor received all its bytes, then flushes and closes the file.</summary>
    /// <exception cref="InvalidOperationException">Fewer bytes were written than the specs need; the writer stays open.</exception>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed) return;
        if (_written < _total) ThrowTooLittle();
        _stream.Dispose();
        _completed = true;
    }

    /// <summary>Finishes the file if it is complete; otherwise closes and deletes it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!_completed && _written == _total)
            Complete();
        _disposed = true;
        if (_completed) return;
        _stream.Dispose();
        File.Delete(_path);
    }

    /// <summary>Writes a whole file from in-memory tensors; for tests and small files.</summary>
    /// <exception cref="ArgumentException">A tensor's data length differs from its spec's byte length.</exception>
    public static void WriteFile(string path, IEnumerable<(TensorSpec Spec, byte[] Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        foreach (var (spec, data) in list)
        {
            if (data.Length != spec.ByteLength)
                throw new ArgumentException($"tensor \"{spec.Name}\": {data.Length} bytes given, shape {Shapes.Format(spec.Shape)} of {spec.DType.SafetensorsName()} needs {spec.ByteLength}", nameof(tensors));
        }
        using var writer = new SafetensorsWriter(path, list.Select(t => t.Spec).ToArray(), metadata);
        foreach (var (_, data) in list)
            writer.Write(data);
        writer.Complete();
    }

    // The first tensor whose end lies past `position`: the one the next byte goes to. Linear, since only
    // error paths ask, and zero-length tensors make ends repeat, which a binary search would trip over.
    private int TensorAt(long position)
    {
        int i = 0;
        while (_ends[i] <= position) i++;
        return i;
    }

    [DoesNotReturn]
    private void ThrowFinished() =>
        throw new InvalidOperationException($"{_path}: the writer is already {(_disposed ? "disposed" : "complete")}");

    [DoesNotReturn]
    private void ThrowTooMuch(int length)
    {
        string last = _specs.Count == 0 ? "there are no tensors" : $"the last tensor is \"{_specs[^1].Name}\"";
        throw new InvalidOperationException(
            $"{_path}: writing {length} more bytes would exceed the {_total} bytes the {_specs.Count} tensor specs need "
            + $"({_written} already written; {last})");
    }

    [DoesNotReturn]
    private void ThrowTooLittle()
    {
        int i = TensorAt(_written);
        long begin = i == 0 ? 0 : _ends[i - 1];
        var spec = _specs[i];
        throw new InvalidOperationException(
            $"{_path}: only {_written} of {_total} bytes were written; tensor \"{spec.Name}\" has {_written - begin} "
            + $"of its {spec.ByteLength} bytes");
    }
}
