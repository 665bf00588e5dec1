using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BlitzScale.Native.Compute.Timed;

/// <summary>
/// Blocks the calling thread for a span without burning CPU, to within tens of microseconds on Linux. Thread.Sleep
/// rounds to whole milliseconds, which is most of a decode step; nanosleep(2) does not.
/// </summary>
internal static partial class PreciseSleep
{
    private const string Libc = "libc.so.6";
    private static bool s_nanosleep = OperatingSystem.IsLinux();

    /// <summary>Sleeps until <paramref name="span"/> has passed on the monotonic clock.</summary>
    public static void For(TimeSpan span)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            var left = span - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero) return;
            Sleep(left);
        }
    }

    private static void Sleep(TimeSpan left)
    {
        if (s_nanosleep)
        {
            try
            {
                long ns = left.Ticks * (1_000_000_000 / TimeSpan.TicksPerSecond);
                var request = new Timespec(ns / 1_000_000_000, ns % 1_000_000_000);
                nanosleep(in request, out _); // interrupted early by a signal: the caller's loop sleeps the rest
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                s_nanosleep = false; // not glibc: whole milliseconds, rounded up so the loop never spins
            }
        }
        Thread.Sleep(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)));
    }

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int nanosleep(in Timespec request, out Timespec remaining);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(long Seconds, long Nanoseconds);
}
