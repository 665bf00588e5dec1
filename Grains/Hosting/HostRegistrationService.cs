using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Topology;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Hosting;

/// <summary>
/// Declares this host to the topology grain as the silo becomes active (so a started silo is already in
/// the topology), and again every few seconds so the view rebuilds itself if that grain moves.
/// </summary>
internal sealed partial class HostRegistrationService(
    GpuHostOptions options, ThisHost thisHost, IGrainFactory grains, IClusterMembershipService membership, ILogger<HostRegistrationService> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private Task _refresh = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(HostRegistrationService), ServiceLifecycleStage.Active, Start, Stop);

    private async Task Start(CancellationToken cancellationToken)
    {
        await Register();
        _refresh = Refresh(_stopping.Token);
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _refresh.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task Refresh(CancellationToken stopping)
    {
        // Every few seconds, and at once when a silo joins or leaves: that can move the topology grain, and a fresh
        // activation knows nobody. Signals coalesce: one registration answers any number of them.
        var due = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var ticking = Signal(Ticks(stopping), due.Writer, stopping);
        var watching = Signal(membership.MembershipUpdates.Select(_ => true), due.Writer, stopping);
        try
        {
            await foreach (var _ in due.Reader.ReadAllAsync(stopping))
            {
                try
                {
                    await Register();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRegistrationFailed(logger, options.Host, e);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
        await Task.WhenAll(ticking, watching).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async IAsyncEnumerable<bool> Ticks([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stopping)) yield return true;
    }

    private static async Task Signal(IAsyncEnumerable<bool> source, ChannelWriter<bool> due, CancellationToken stopping)
    {
        await foreach (var _ in source.WithCancellation(stopping)) due.TryWrite(true);
    }

    private Task Register() => grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).RegisterHost(thisHost.Describe());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Host} could not refresh its registration with the topology grain; retrying")]
    private static partial void LogRegistrationFailed(ILogger logger, string host, Exception error);
}
