using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>The CLI's one rule for which reported instance states are still loading. Pure.</summary>
internal static class LoadingStates
{
    /// <summary>
    /// Whether an instance in <paramref name="state"/> still has layers to land: Loading, a LiveNew (serving its first layers
    /// beside a busy instance) or a LiveTail (running a partner's last layers while its own land).
    /// </summary>
    public static bool IsLoading(InstanceState state) => state is InstanceState.Loading or InstanceState.LiveNew or InstanceState.LiveTail;
}
