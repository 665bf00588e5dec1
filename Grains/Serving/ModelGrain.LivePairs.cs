using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Logging;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// A live pair ending before its LiveNew has loaded. Whatever ends it (the LiveNew failing, stopped while loading, unloaded,
/// dropped with its host or by a lost request's probe, or its LiveOld stopping), it ends here: the state machine unpairs the two
/// and the LiveOld shard, which pulls split requests from its partner and hands its waiting requests to it, is told.
/// </summary>
internal sealed partial class ModelGrain
{
    /// <summary>
    /// Takes a paired <paramref name="instance"/> out of its pair (nothing for an unpaired one). A LiveNew leaving makes its LiveOld
    /// Serving, and that shard stops pulling from it and handing requests to it and ends the split requests it holds for it
    /// (<c>PartnerGone</c>): with its partner gone their steps would never come, and they would hold KV blocks and count as running
    /// for good. A LiveOld leaving (drained) sends its LiveNew back to Loading and stops pulling; what it split finishes there.
    /// </summary>
    private void LeavePair(InstanceLifecycle instance)
    {
        if (instance.State == InstanceState.LiveNew)
        {
            if (_instances.Unpair(instance.Index) is { Applied: true, Partner: { } old } && _instances.Find(old) is { } partner)
            {
                string gone = instance.Shard;
                _ = TellLiveOld(partner, () => Calls.PartnerGone(partner, gone));
            }
        }
        else if (instance.State is InstanceState.LiveOld or InstanceState.LiveTail && instance.Partner is { } fresh && _instances.Unpair(fresh).Applied)
        {
            _ = TellLiveOld(instance, () => Calls.EndLive(instance));
        }
    }

    // Not awaited by LeavePair's callers and bounded: the LiveOld's silo may be the one that died, and a call there can take
    // the whole response timeout. A LiveOld that is not told keeps counting requests nobody ends; so the failure is logged.
    private async Task TellLiveOld(InstanceLifecycle old, Func<Task> call)
    {
        try
        {
            await call().WaitAsync(ProbeLimit);
        }
        catch (Exception e)
        {
            LogEndLiveFailed(_logger, old.Shard, e.Message);
        }
    }
}
