using BlitzScale.Native.Models;
using BlitzScale.Native.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>How much GPU memory an instance takes: its parameter image and its KV cache.</summary>
internal static class ShardSizing
{
    // Leave a tenth of the free memory for activations and fragmentation.
    private const double KvShareOfFree = 0.9;

    /// <summary>Bytes of one KV block across all layers (keys and values, f32).</summary>
    public static long BytesPerKvBlock(LlamaConfig config, int blockSize) =>
        2L * config.NumLayers * blockSize * config.KvDim * sizeof(float);

    /// <summary>
    /// KV blocks to give an instance: what was asked for, else enough for every running sequence to reach the
    /// model's context, capped by the GPU's free memory. Zero when not even one block fits.
    /// </summary>
    public static int KvBlocks(int? requested, LlamaConfig config, BatchPolicy policy, long freeBytes, long parameterBytes)
    {
        if (requested is { } blocks) return blocks;
        long perBlock = BytesPerKvBlock(config, policy.BlockSize);
        long wanted = (long)policy.MaxRunningSequences * ((config.MaxPositionEmbeddings + policy.BlockSize - 1) / policy.BlockSize);
        long affordable = (long)((freeBytes - parameterBytes) * KvShareOfFree) / perBlock;
        return (int)Math.Clamp(Math.Min(wanted, affordable), 0, int.MaxValue);
    }
}
