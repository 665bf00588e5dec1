using BlitzScale.Tests.Shared;

namespace BlitzScale.Client.Tests;

/// <summary>Pins which of our projects Client may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    // Native serves the local commands (model synth/inspect/goldens, bench engine); Silo the embedded grid and `blitz silo`.
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] { "Grains.Interfaces", "Native", "Silo" }, ProjectReferences.Of("Client"));
}
