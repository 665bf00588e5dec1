using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// A report file (--json, --plot) is checked before a command starts, so a bench of minutes does not end in an error that
/// loses its report; if writing still fails at the end, the report lands in the temporary folder and the error says where.
/// </summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("blitz-output-").FullName;

    [Fact]
    public void A_file_in_a_folder_that_does_not_exist_is_refused_naming_the_option_and_the_folder()
    {
        string missing = Path.Combine(_folder, "nowhere");

        var error = Assert.Throws<ArgumentException>(() => OutputFile.Check(Path.Combine(missing, "report.json"), "--json"));

        Assert.Equal($"--json {Path.Combine(missing, "report.json")}: the folder {missing} does not exist", error.Message);
    }

    [Fact]
    public void A_folder_or_an_empty_name_is_refused()
    {
        Assert.Contains("is a folder", Assert.Throws<ArgumentException>(() => OutputFile.Check(_folder, "--plot")).Message);
        Assert.StartsWith("--json: expected a file name", Assert.Throws<ArgumentException>(() => OutputFile.Check(" ", "--json")).Message);
    }

    [Fact]
    public void A_writable_path_passes_and_the_check_leaves_nothing_behind()
    {
        string path = Path.Combine(_folder, "report.json");

        OutputFile.Check(path, "--json");
        OutputFile.Check(null, "--json");

        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public async Task A_write_that_fails_at_the_end_keeps_the_report_in_the_temporary_folder_and_says_where()
    {
        string gone = Path.Combine(_folder, "gone");
        Directory.CreateDirectory(gone);
        string path = Path.Combine(gone, "report.json");
        OutputFile.Check(path, "--json");
        Directory.Delete(gone); // removed while the bench ran

        var error = await Assert.ThrowsAsync<IOException>(() => OutputFile.WriteAsync(path, "{\"figures\": 1}", "--json"));

        Assert.StartsWith($"--json {path}: ", error.Message);
        string fallback = error.Message[(error.Message.IndexOf("written to ", StringComparison.Ordinal) + "written to ".Length)..^" instead".Length];
        try
        {
            Assert.Equal("{\"figures\": 1}", await File.ReadAllTextAsync(fallback));
            Assert.EndsWith(".json", fallback);
        }
        finally
        {
            File.Delete(fallback);
        }
    }

    [Fact]
    public async Task A_file_fault_reaches_the_user_as_one_line_and_exit_code_1()
    {
        using var stderr = new StringWriter();

        int code = await CliErrors.Run(() => throw new IOException("--json /r.json: No space left on device; the report was written to /tmp/x.json instead"), stderr);

        Assert.Equal(CliErrors.Failure, code);
        Assert.Equal("blitz: error: --json /r.json: No space left on device; the report was written to /tmp/x.json instead", stderr.ToString().Trim());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
