using BlitzScale.Native;

namespace BlitzScale.Cli.Commands;

/// <summary>Turns the errors a user can cause into one readable line and exit code 2, instead of a stack trace.</summary>
internal static class CliErrors
{
    public const int UserError = 2;

    public static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is ModelFileException or ArgumentException or DirectoryNotFoundException or FileNotFoundException or InvalidOperationException or KeyNotFoundException)
        {
            Console.Error.WriteLine($"blitz: error: {e.Message}");
            return UserError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("blitz: cancelled");
            return 130;
        }
    }

    public static int Run(Func<int> action) => Run(() => Task.FromResult(action())).GetAwaiter().GetResult();
}
