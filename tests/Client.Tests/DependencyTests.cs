using BlitzScale.Tests.Shared;

namespace BlitzScale.Client.Tests;

/// <summary>Pins which of our projects Client may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    // Native serves the local commands (generate until the grid routes it, model synth/inspect, bench engine).
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] { "Grains.Interfaces", "Native" }, ProjectReferences.Of("Client"));
}
