using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BlitzScale.Native.Diagnostics;

/// <summary>
/// Measures the machine's memory read bandwidth the way the engine reads weights: every core streaming
/// its own part of a buffer far larger than the caches, with SIMD loads.
/// </summary>
/// <remarks>Keep one probe and interleave its passes with the measurement it is compared to, so both see the same noise.</remarks>
public sealed unsafe class MemoryBandwidth : IDisposable
{
    /// <summary>Default buffer: 1 GiB, far beyond any last-level cache.</summary>
    public const long DefaultBytes = 1L << 30;

    private readonly long _part;
    private readonly int _workers = Environment.ProcessorCount;
    private byte* _buffer;

    /// <summary>Allocates and touches the buffer.</summary>
    public MemoryBandwidth(long bytes = DefaultBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        _part = bytes / _workers / 128 * 128;
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)(_part * _workers), 4096);
        // Touch every page first so passes see memory, not page faults, and make every page different:
        // identical pages may be merged by the hypervisor or the kernel, and then reads hit one cached page.
        ulong state = 0x9E3779B97F4A7C15UL;
        var words = (ulong*)_buffer;
        for (long i = 0, n = _part * _workers / sizeof(ulong); i < n; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            words[i] = state & 0x3F3F3F3F3F3F3F3FUL; // finite floats
        }
    }

    /// <summary>Bytes per second of one pass over the whole buffer.</summary>
    public double MeasureOnce()
    {
        var partial = new float[_workers];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, _workers, w => partial[w] = Sum((float*)(_buffer + w * _part), _part / sizeof(float)));
        double seconds = clock.Elapsed.TotalSeconds;
        GC.KeepAlive(partial.Sum());
        return _part * _workers / seconds;
    }

    /// <summary>Frees the buffer.</summary>
    public void Dispose()
    {
        if (_buffer == null) return;
        NativeMemory.AlignedFree(_buffer);
        _buffer = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Sum(float* p, long count)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (long i = 0; i + 32 <= count; i += 32)
        {
            a0 += Vector256.Load(p + i);
            a1 += Vector256.Load(p + i + 8);
            a2 += Vector256.Load(p + i + 16);
            a3 += Vector256.Load(p + i + 24);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3);
    }
}
