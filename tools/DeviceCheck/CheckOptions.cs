namespace BlitzScale.DeviceCheck;

/// <summary>Command-line options: <c>--shared DIR</c> (holds models/stories260K), <c>--no-torch</c>, <c>--quick</c>.</summary>
internal sealed record CheckOptions(string? Shared, bool Torch, bool Quick)
{
    public const string Usage = "usage: DeviceCheck [--shared DIR] [--no-torch] [--quick]";

    /// <exception cref="ArgumentException">An unknown option or a missing value; the message says which.</exception>
    public static CheckOptions Parse(IReadOnlyList<string> args)
    {
        string? shared = null;
        bool torch = true, quick = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--shared" when i + 1 < args.Count:
                    shared = args[++i];
                    break;
                case "--no-torch":
                    torch = false;
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    throw new ArgumentException($"unknown or incomplete option \"{args[i]}\"; {Usage}");
            }
        }
        return new CheckOptions(shared, torch, quick);
    }
}
