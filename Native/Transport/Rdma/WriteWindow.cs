namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// The sender's count of RDMA writes posted and not yet completed, bounded by the send queue's depth: posting beyond
/// it fails (ENOMEM), so the sender polls completions while the window is full.
/// </summary>
internal sealed class WriteWindow(int depth)
{
    public int Depth { get; } = depth > 0 ? depth : throw new ArgumentOutOfRangeException(nameof(depth), depth, "the window needs at least one write");
    public int Outstanding { get; private set; }
    public bool IsFull => Outstanding >= Depth;
    public bool IsEmpty => Outstanding == 0;

    public void Posted()
    {
        if (IsFull) throw new InvalidOperationException($"the send queue holds {Depth} writes; poll a completion before posting another");
        Outstanding++;
    }

    /// <summary>A write completed; false when none was outstanding (a completion this side never asked for).</summary>
    public bool Completed()
    {
        if (Outstanding == 0) return false;
        Outstanding--;
        return true;
    }
}
