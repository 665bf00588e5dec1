using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One instance's prefill capacity (prompt tokens per second) known when it starts serving: the autoscaler's figure until
/// it has measured the instances under load. On <c>timed</c> it is the cost profile's (a prefill of the step budget over
/// every layer, dilated); on <c>cpu</c> and <c>cuda</c> it is measured (<see cref="PrefillCalibration"/>) on free KV blocks,
/// on the device's thread, before the instance takes a request.
/// </summary>
internal static class PrefillRating
{
    /// <summary>
    /// The rating of <paramref name="engine"/> (every layer loaded) under <paramref name="policy"/>. Its calibration's blocks
    /// come from <paramref name="shared"/> when the store is shared with a live server's running requests (and are handed
    /// back), else from the store's own free blocks. 0 when too few blocks are free to measure.
    /// </summary>
    public static Task<double> Of(ILayerEngine engine, BatchPolicy policy, DeviceExecutor device, KvBlockAllocator? shared)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(device);
        // A step's prompt tokens: the budget, within the model's positions.
        int budget = Math.Min(policy.MaxBatchTokens, engine.Config.MaxPositionEmbeddings);
        if (engine is TimedEngine timed)
            return Task.FromResult(timed.Profile.PrefillTokensPerSecond(timed.Config.NumLayers, budget, timed.Dilation));
        return device.RunAsync(() => Calibrate(engine, budget, shared ?? new KvBlockAllocator(policy.KvBlocks, policy.BlockSize)));
    }

    private static double Calibrate(ILayerEngine engine, int budget, KvBlockAllocator blocks)
    {
        // Blocks for the budget, or for what is free: the calibration measures within them.
        var table = new KvBlockTable();
        int tokens = Math.Min(budget, blocks.FreeBlocks * blocks.BlockSize);
        if (tokens < PrefillCalibration.FirstTokens || !blocks.TryReserve(table, tokens)) return 0;
        try
        {
            return PrefillCalibration.Measure(engine, table.Blocks, tokens);
        }
        finally
        {
            blocks.Release(table);
        }
    }
}
