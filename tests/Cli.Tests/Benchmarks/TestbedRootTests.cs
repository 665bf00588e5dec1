using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Tests.Commands;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>A testbed bench run without root is refused before it makes anything, with a line that says what to do.</summary>
public sealed class TestbedRootTests : IDisposable
{
    private const string Setpriv = "/usr/bin/setpriv";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Without_root_the_bench_is_refused_naming_itself_and_sudo()
    {
        var error = Assert.Throws<InvalidOperationException>(() => MulticastTestbed.RequireRoot("bench live", privileged: false));

        Assert.Equal("bench live brings up a testbed of network namespaces, veth links and tc shaping, which needs root (CAP_NET_ADMIN); run it with sudo",
            error.Message);
    }

    [SkippableTheory]
    [InlineData("live")]
    [InlineData("replay")]
    public async Task Run_as_an_unprivileged_user_the_bench_exits_2_before_making_its_synthetic_model(string bench)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "runs as root on Linux, to drop to an unprivileged user");
        Skip.IfNot(File.Exists(Setpriv), $"{Setpriv} (util-linux) is not installed");
        // The unprivileged user writes its dotnet home and the cache here; the cache stays empty.
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_111_111);
        string cache = Path.Combine(_dir.Path, "cache");

        var result = await BlitzProcess.RunAs([Setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", "env", $"HOME={_dir.Path}", $"DOTNET_CLI_HOME={_dir.Path}"],
            null, cache, "bench", bench);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"blitz: error: bench {bench} brings up a testbed of network namespaces, veth links and tc shaping, which needs root (CAP_NET_ADMIN); run it with sudo",
            result.Stderr.Trim());
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFileSystemEntries(cache).Any(), "the bench made something in its cache");
    }
}
