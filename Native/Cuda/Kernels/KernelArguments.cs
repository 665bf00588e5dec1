namespace BlitzScale.Native.Cuda.Kernels;

/// <summary>
/// Packs kernel arguments for <see cref="CudaFunction.Launch"/>: each value goes into its own 8-byte slot of
/// caller-provided (stack) memory and the slot's address into the pointer list, in parameter order. A 4-byte value
/// sits in the low half of its slot, which is where a little-endian kernel parameter of that size is read from.
/// </summary>
internal unsafe ref struct KernelArguments
{
    private readonly Span<ulong> _values;
    private readonly Span<nint> _pointers;
    private int _count;

    /// <summary>Packs into <paramref name="values"/> and <paramref name="pointers"/>, which must not move (stackalloc).</summary>
    public KernelArguments(Span<ulong> values, Span<nint> pointers)
    {
        if (values.Length != pointers.Length)
            throw new ArgumentException($"{values.Length} value slots but {pointers.Length} pointer slots", nameof(pointers));
        _values = values;
        _pointers = pointers;
    }

    /// <summary>The argument pointers so far.</summary>
    public readonly ReadOnlySpan<nint> Pointers => _pointers[.._count];

    /// <summary>A device pointer (or any 64-bit value).</summary>
    public void Add(ulong value) => Next() = value;

    /// <summary>A 32-bit int.</summary>
    public void Add(int value) => Next() = (uint)value;

    /// <summary>A 64-bit int.</summary>
    public void Add(long value) => Next() = (ulong)value;

    /// <summary>A 32-bit float.</summary>
    public void Add(float value) => Next() = BitConverter.SingleToUInt32Bits(value);

    private ref ulong Next()
    {
        if (_count == _values.Length)
            throw new InvalidOperationException($"a kernel launch was given more than the {_values.Length} argument slots reserved for it");
        ref ulong slot = ref _values[_count];
        slot = 0;
        fixed (ulong* address = &slot)
            _pointers[_count] = (nint)address;
        _count++;
        return ref slot;
    }
}
