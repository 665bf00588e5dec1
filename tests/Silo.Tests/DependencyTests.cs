using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests;

/// <summary>Pins which of our projects Silo may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] { "Grains" }, ProjectReferences.Of("Silo"));
}
