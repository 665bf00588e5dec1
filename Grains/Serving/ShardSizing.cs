using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>How much GPU memory an instance takes: its parameter image and its KV cache.</summary>
internal static class ShardSizing
{
    // Leave a tenth of the free memory for activations and fragmentation.
    private const double KvShareOfFree = 0.9;

    /// <summary>
    /// KV blocks to give an instance: what was asked for, else enough for every running sequence to reach the
    /// model's context, capped by the GPU's free memory. Zero when not even one block fits.
    /// </summary>
    public static int KvBlocks(int? requested, LlamaConfig config, BatchPolicy policy, long freeBytes, long parameterBytes)
    {
        if (requested is { } blocks) return blocks;
        long perBlock = KvStoreShape.BytesPerBlock(config, policy.BlockSize);
        long wanted = (long)policy.MaxRunningSequences * ((config.MaxPositionEmbeddings + policy.BlockSize - 1) / policy.BlockSize);
        long affordable = (long)((freeBytes - parameterBytes) * KvShareOfFree) / perBlock;
        return (int)Math.Clamp(Math.Min(wanted, affordable), 0, int.MaxValue);
    }
}
