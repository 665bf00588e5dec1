using BlitzScale.Native.Serving;

namespace BlitzScale.Native.Tests.Serving;

public sealed class DeviceExecutorTests
{
    [Fact]
    public async Task Work_runs_on_the_devices_own_named_thread()
    {
        using var device = new DeviceExecutor("test0");
        var (name, id) = await device.RunAsync(() => (Thread.CurrentThread.Name, Environment.CurrentManagedThreadId));
        Assert.Equal("blitz-gpu test0", name);
        Assert.NotEqual(Environment.CurrentManagedThreadId, id);
        Assert.Equal(id, await device.RunAsync(() => Environment.CurrentManagedThreadId));
    }

    [Fact]
    public async Task An_exception_reaches_the_caller_and_the_thread_goes_on()
    {
        using var device = new DeviceExecutor("test1");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => device.RunAsync<int>(() => throw new InvalidOperationException("kernel failed")));
        Assert.Equal("kernel failed", error.Message);
        Assert.Equal(42, await device.RunAsync(() => 42));
    }

    [Fact]
    public async Task Work_runs_in_the_order_it_was_queued()
    {
        using var device = new DeviceExecutor("test2");
        var order = new List<int>();
        var tasks = Enumerable.Range(0, 50).Select(i => device.RunAsync(() => { order.Add(i); return i; })).ToArray();
        Assert.Equal(Enumerable.Range(0, 50), await Task.WhenAll(tasks));
        Assert.Equal(Enumerable.Range(0, 50), order);
    }

    [Fact]
    public async Task Work_cancelled_before_it_starts_is_skipped()
    {
        using var device = new DeviceExecutor("test3");
        using var gate = new ManualResetEventSlim();
        using var cancellation = new CancellationTokenSource();
        var blocker = device.RunAsync(() => gate.Wait(TimeSpan.FromSeconds(30)));
        bool ran = false;
        var skipped = device.RunAsync(() => ran = true, cancellation.Token);
        cancellation.Cancel();
        gate.Set();

        Assert.True(await blocker);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => skipped);
        Assert.False(ran);
    }

    [Fact]
    public async Task Dispose_runs_what_is_queued_then_refuses_new_work()
    {
        var device = new DeviceExecutor("test4");
        using var gate = new ManualResetEventSlim();
        var blocker = device.RunAsync(() => gate.Wait(TimeSpan.FromSeconds(30)));
        // Disposing from the device thread cannot join it, so this call returns and the queue drains behind it.
        var disposing = device.RunAsync(() => { device.Dispose(); return true; });
        var queued = device.RunAsync(() => 7);
        gate.Set();

        Assert.True(await disposing);
        Assert.Equal(7, await queued);
        Assert.Throws<ObjectDisposedException>(() => { _ = device.RunAsync(() => 1); });
        device.Dispose();
        Assert.True(await blocker);
    }
}
