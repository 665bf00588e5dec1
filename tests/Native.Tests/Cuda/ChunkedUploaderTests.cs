using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>Staged uploads and downloads round-trip a range that is not a whole number of chunks, where a device exists.</summary>
public sealed class ChunkedUploaderTests
{
    [Fact]
    public void Rejects_chunks_under_4_MiB_before_touching_the_device()
    {
        // Argument checks come first, so this holds with or without a device.
        if (!CudaRuntime.Probe().Available)
        {
            Assert.ThrowsAny<CudaException>(() => CudaContext.Open());
            return;
        }
        using var context = CudaContext.Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkedUploader(context, 1 << 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkedUploader(context, 8 << 20, 1));
    }

    [SkippableFact]
    public unsafe void Upload_and_download_round_trip_where_a_device_exists()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        using var context = CudaContext.Open();
        using var uploader = new ChunkedUploader(context, 4 << 20, 3);
        long bytes = (13L << 20) + 12345;
        nint host = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        nint back = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        try
        {
            var source = new Span<byte>((void*)host, (int)bytes);
            new Random(11).NextBytes(source);
            using var device = context.Allocate(bytes + 4096);
            uploader.Upload(host, bytes, device, 4096);
            uploader.Download(device, 4096, bytes, back);
            Assert.True(source.SequenceEqual(new ReadOnlySpan<byte>((void*)back, (int)bytes)));

            var check = new byte[1000];
            device.CopyTo(check, 4096 + bytes - 1000);
            Assert.True(source[^1000..].SequenceEqual(check));
            Assert.Throws<ArgumentOutOfRangeException>(() => uploader.Upload(host, bytes, device, 4097 + 4096));
        }
        finally
        {
            NativeMemory.AlignedFree((void*)host);
            NativeMemory.AlignedFree((void*)back);
        }
    }
}
