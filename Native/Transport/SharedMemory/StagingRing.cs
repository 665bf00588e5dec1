using System.IO.MemoryMappedFiles;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// The staging ring both processes map: <see cref="Slots"/> slots of <see cref="SlotBytes"/> bytes in one file
/// (under /dev/shm it is memory, never disk). The server creates it, the client opens the same file.
/// </summary>
/// <remarks>
/// No locks guard the slots: ownership moves with the socket messages (the server writes a slot, then sends its
/// frame; the client reads it, then sends its release), and each syscall in between orders the memory accesses.
/// </remarks>
internal sealed unsafe class StagingRing : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private StagingRing(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, int slots, int slotBytes)
    {
        Path = path;
        Slots = slots;
        SlotBytes = slotBytes;
        _file = file;
        _view = view;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    public string Path { get; }
    public int Slots { get; }
    public int SlotBytes { get; }
    public long Bytes => (long)Slots * SlotBytes;

    /// <summary>
    /// Creates the file (it must not exist; only this user may open it) with all its memory allocated up front: a
    /// full /dev/shm fails here with an <see cref="IOException"/>, not later with SIGBUS on a write to the mapping.
    /// </summary>
    public static StagingRing Create(string path, int slots, int slotBytes)
    {
        long bytes = (long)slots * slotBytes;
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite,
            PreallocationSize = bytes,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var stream = new FileStream(path, options);
        try
        {
            stream.SetLength(bytes);
            return Map(path, stream, slots, slotBytes);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Opens a ring the server created.</summary>
    /// <exception cref="InvalidDataException">The file is not the size the server announced.</exception>
    public static StagingRing Open(string path, int slots, int slotBytes)
    {
        long bytes = (long)slots * slotBytes;
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            if (stream.Length != bytes)
                throw new InvalidDataException($"staging ring {path} has {stream.Length} bytes; the server announced {slots} slots of {slotBytes} bytes");
            return Map(path, stream, slots, slotBytes);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static StagingRing Map(string path, FileStream stream, int slots, int slotBytes)
    {
        long bytes = (long)slots * slotBytes;
        var file = MemoryMappedFile.CreateFromFile(stream, null, bytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        try
        {
            return new StagingRing(path, file, file.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite), slots, slotBytes);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The first <paramref name="length"/> bytes of a slot.</summary>
    public Span<byte> Slot(int slot, int length)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is not in the ring ({Slots} slots)");
        if ((uint)length > (uint)SlotBytes) throw new ArgumentOutOfRangeException(nameof(length), $"{length} bytes do not fit a {SlotBytes}-byte slot");
        return new Span<byte>(_base + (long)slot * SlotBytes, length);
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
