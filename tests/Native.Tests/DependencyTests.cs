using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests;

/// <summary>Pins which of our projects Native may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] {  }, ProjectReferences.Of("Native"));
}
