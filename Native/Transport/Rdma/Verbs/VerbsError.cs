using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>Turns the two ways verbs report failure (NULL plus errno; an errno return value) into <see cref="RdmaException"/>s.</summary>
internal static class VerbsError
{
    public static RdmaException Failed(string call, int errno) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);

    /// <summary>For calls that return 0 or an errno value (some return it negated).</summary>
    public static void Check(int result, string call)
    {
        if (result != 0) throw Failed(call, Math.Abs(result));
    }

    /// <summary>For calls that return NULL and set errno; must come right after the call.</summary>
    public static nint NotNull(nint pointer, string call) =>
        pointer != 0 ? pointer : throw Failed(call, Marshal.GetLastPInvokeError());
}
