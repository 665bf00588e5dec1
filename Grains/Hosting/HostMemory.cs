using System.Globalization;

namespace BlitzScale.Grains.Hosting;

/// <summary>How much host memory model copies may use: the configured amount, else what the kernel reports available.</summary>
internal static class HostMemory
{
    public static long BytesFor(GpuHostOptions host) =>
        host.HostMemoryGiB is { } giB ? (long)(giB * (1L << 30)) : Available();

    /// <summary><c>MemAvailable</c> from /proc/meminfo; the GC's view of total memory where that file does not exist.</summary>
    public static long Available()
    {
        const string File = "/proc/meminfo";
        if (System.IO.File.Exists(File))
        {
            foreach (var line in System.IO.File.ReadLines(File))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kib)) return kib * 1024;
            }
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
