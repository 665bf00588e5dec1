using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>Which reported states the CLI counts as still loading (the load follower, replay's sampler, chaos's active count).</summary>
public sealed class LoadingStatesTests
{
    [Theory]
    [InlineData(InstanceState.Loading, true)]
    [InlineData(InstanceState.LiveNew, true)]
    [InlineData(InstanceState.LiveTail, true)]
    [InlineData(InstanceState.Inactive, false)]
    [InlineData(InstanceState.Serving, false)]
    [InlineData(InstanceState.LiveOld, false)]
    [InlineData(InstanceState.Draining, false)]
    [InlineData(InstanceState.Warm, false)]
    [InlineData(InstanceState.Failed, false)]
    public void Only_instances_with_layers_still_to_land_are_loading(InstanceState state, bool loading) =>
        Assert.Equal(loading, LoadingStates.IsLoading(state));

    [Fact]
    public void Every_state_is_classified_above() => Assert.Equal(9, Enum.GetValues<InstanceState>().Length);
}
