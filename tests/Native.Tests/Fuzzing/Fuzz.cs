using System.Diagnostics;
using CsCheck;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// Runs a parser on generated inputs, deterministically (CsCheck generators drawn from a PCG with a fixed seed), and
/// checks the three properties of hostile input: it throws nothing but the documented error type, it ends within a
/// bound, and it allocates no more than a bound (a length field must not make it allocate what the field claims).
/// </summary>
internal static class Fuzz
{
    /// <summary>The variable that multiplies every run's case count (1 when unset), for a longer hunt by hand.</summary>
    public const string ScaleVariable = "BLITZSCALE_FUZZ_SCALE";

    private static int Scale => int.TryParse(Environment.GetEnvironmentVariable(ScaleVariable), out int scale) && scale > 0 ? scale : 1;

    /// <summary>Longest a single case may take, generously above what any case takes on a loaded machine.</summary>
    public static readonly TimeSpan CaseBound = TimeSpan.FromSeconds(20);

    /// <summary>Most a single case may allocate: far below what any length field could claim (gigabytes), far above any sane parse.</summary>
    public const long AllocationBound = 256L << 20;

    /// <summary>
    /// Checks <paramref name="parse"/> on <paramref name="count"/> inputs from <paramref name="gen"/> (seed
    /// <paramref name="seed"/>); a failure names the case, the seed and the input, so it can be kept in the corpus.
    /// </summary>
    public static void Run<T>(Gen<T> gen, int count, ulong seed, Action<T> parse, Func<Exception, bool> documented, Func<T, string> print)
    {
        count *= Scale;
        var pcg = new PCG(7, seed);
        for (int i = 0; i < count; i++)
        {
            var input = gen.Generate(pcg, null, out _);
            if (Check(() => parse(input), documented) is { } failure)
                Assert.Fail($"case {i} of seed {seed}: {failure}\ninput: {print(input)}");
        }
    }

    /// <summary>Runs one case on its own thread; null when it kept the properties, else what went wrong.</summary>
    public static string? Check(Action parse, Func<Exception, bool> documented)
    {
        Exception? thrown = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                parse();
            }
            catch (Exception e)
            {
                thrown = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 1 << 20) { IsBackground = true };
        var clock = Stopwatch.StartNew();
        thread.Start();
        if (!thread.Join(CaseBound)) return $"did not end within {CaseBound.TotalSeconds} s";
        if (thrown is not null && !documented(thrown)) return $"threw {thrown.GetType().FullName}: {thrown.Message}\n{thrown.StackTrace}";
        if (allocated > AllocationBound) return $"allocated {allocated} bytes (bound {AllocationBound}) in {clock.Elapsed.TotalSeconds:0.##} s";
        return null;
    }

    /// <summary>
    /// As <see cref="Run{T}"/>, for work that runs on other threads too (a transfer's continuations, a server's
    /// connections): each case is bounded in time and in what the whole process allocates meanwhile, so only tests of
    /// the <see cref="WholeProcessFuzzing"/> collection, which runs alone, use it.
    /// </summary>
    public static async Task RunAsync<T>(Gen<T> gen, int count, ulong seed, Func<T, int, Task> run, Func<Exception, bool> documented, Func<T, string> print)
    {
        count *= Scale;
        var pcg = new PCG(7, seed);
        for (int i = 0; i < count; i++)
        {
            var input = gen.Generate(pcg, null, out _);
            int index = i;
            if (await CheckAsync(() => run(input, index), documented) is { } failure)
                Assert.Fail($"case {i} of seed {seed}: {failure}\ninput: {print(input)}");
        }
    }

    /// <summary>One case of <see cref="RunAsync{T}"/>; null when it kept the properties, else what went wrong.</summary>
    public static async Task<string?> CheckAsync(Func<Task> run, Func<Exception, bool> documented)
    {
        long before = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        var task = Task.Run(run);
        if (await Task.WhenAny(task, Task.Delay(CaseBound)).ConfigureAwait(false) != task)
            return $"did not end within {CaseBound.TotalSeconds} s";
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
        Exception? thrown = null;
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            thrown = e;
        }
        if (thrown is not null && !documented(thrown))
            return $"threw {thrown.GetType().FullName}: {thrown.Message}\n{thrown.StackTrace}";
        if (allocated > AllocationBound) return $"allocated {allocated} bytes (bound {AllocationBound}) in {clock.Elapsed.TotalSeconds:0.##} s";
        return null;
    }

    public static string Hex(byte[] bytes) => bytes.Length <= 4096 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes.AsSpan(0, 4096)) + $"… ({bytes.Length} bytes)";
}

/// <summary>
/// Fuzz tests that bound what the whole process allocates per case (<see cref="Fuzz.RunAsync{T}"/>): they run alone,
/// after the parallel tests, so no other test's allocations count against them.
/// </summary>
[CollectionDefinition(nameof(WholeProcessFuzzing), DisableParallelization = true)]
public sealed class WholeProcessFuzzing;
