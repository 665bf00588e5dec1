using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using BlitzScale.Native.Cuda;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// (d) Host→device GB/s of the same bytes, in the same run: from pageable memory (where a parameter image lives)
/// through the <see cref="ChunkedUploader"/>'s pinned chunks, versus a plain synchronous <see cref="DeviceBuffer.CopyFrom(ReadOnlySpan{byte}, long)"/>
/// from that pageable memory and from pinned memory (the link's rate). The goal ratio is against the pinned copy.
/// </summary>
internal static unsafe class UploadBandwidth
{
    private const int Repeats = 3;

    public static JsonObject Run(bool quick)
    {
        int bytes = quick ? 256 << 20 : 1 << 30;
        using var context = CudaContext.Open();
        using var target = context.Allocate(bytes);
        using var uploader = new ChunkedUploader(context);
        using var pinned = context.AllocatePinned(bytes);
        byte* pageable = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        try
        {
            var source = new Span<byte>(pageable, bytes);
            new Random(1).NextBytes(source);
            source.CopyTo(pinned.Span(0, bytes));

            double chunked = Best(() => uploader.Upload((nint)pageable, bytes, target, 0), bytes, context);
            double plainPageable = Best(() => target.CopyFrom(new ReadOnlySpan<byte>(pageable, bytes)), bytes, context);
            double plainPinned = Best(() => target.CopyFrom(pinned.Span(0, bytes)), bytes, context);

            // Every byte really landed: read it all back, 64 MiB at a time.
            var back = new byte[64 << 20];
            bool intact = true;
            for (int offset = 0; offset < bytes && intact; offset += back.Length)
            {
                int length = Math.Min(back.Length, bytes - offset);
                target.CopyTo(back.AsSpan(0, length), offset);
                intact = back.AsSpan(0, length).SequenceEqual(source.Slice(offset, length));
            }
            return new JsonObject
            {
                ["bytes"] = bytes,
                ["chunk_bytes"] = uploader.ChunkBytes,
                ["chunked_from_pageable_GBps"] = Math.Round(chunked, 2),
                ["plain_copy_from_pageable_GBps"] = Math.Round(plainPageable, 2),
                ["plain_copy_from_pinned_GBps"] = Math.Round(plainPinned, 2),
                ["ratio_vs_pinned_copy"] = Math.Round(chunked / plainPinned, 3),
                ["ratio_vs_pageable_copy"] = Math.Round(chunked / plainPageable, 3),
                ["data_intact"] = intact,
            };
        }
        finally
        {
            NativeMemory.AlignedFree(pageable);
        }
    }

    private static double Best(Action copy, long bytes, CudaContext context)
    {
        copy(); // warm: first-touch, driver staging set-up
        context.Synchronize();
        double best = 0;
        for (int i = 0; i < Repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            copy();
            context.Synchronize();
            best = Math.Max(best, bytes / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
