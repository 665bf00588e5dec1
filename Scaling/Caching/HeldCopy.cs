namespace BlitzScale.Scaling.Caching;

/// <summary>A copy of one model in one host's memory, as that host reports it.</summary>
/// <param name="Host">The host holding it.</param>
/// <param name="Complete">Every blob has landed.</param>
/// <param name="Failed">Reading it from the files failed: it feeds nothing.</param>
public readonly record struct HeldCopy(string Host, bool Complete, bool Failed);
