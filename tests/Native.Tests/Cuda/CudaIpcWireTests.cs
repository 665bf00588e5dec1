using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Ipc;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>The CUDA IPC transport's handle frame and argument checks, without a device.</summary>
public sealed class CudaIpcWireTests
{
    [Fact]
    public void A_handle_frame_round_trips()
    {
        var handle = Enumerable.Range(1, CudaIpc.HandleBytes).Select(i => (byte)i).ToArray();
        var frame = new byte[CudaIpcWire.HandleFrameBytes];
        CudaIpcWire.WriteHandle(frame, 5L << 30, 4096, handle);

        Assert.Equal(96, frame.Length);
        Assert.Equal("BLZG"u8.ToArray(), frame.AsSpan(0, 4).ToArray());
        Assert.True(CudaIpcWire.TryReadHandle(frame, out long allocation, out long offset, out var read));
        Assert.Equal(5L << 30, allocation);
        Assert.Equal(4096, offset);
        Assert.Equal(handle, read);

        frame[0] ^= 1;
        Assert.False(CudaIpcWire.TryReadHandle(frame, out _, out _, out _));
    }

    [Fact]
    public void Client_option_defaults_match_the_other_transports_and_out_of_range_values_are_refused_by_name()
    {
        var options = new CudaIpcTransportOptions();
        var tcp = new BlitzScale.Native.Transport.TcpTransportOptions();

        Assert.Equal((tcp.ConnectTimeout, tcp.IdleTimeout, true), (options.ConnectTimeout, options.IdleTimeout, options.RequireChunkAuthentication));
        Assert.Equal("IdleTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new CudaIpcTransportOptions { IdleTimeout = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Equal("ConnectTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new CudaIpcTransportOptions { ConnectTimeout = TimeSpan.Zero }.Validate()).ParamName);
    }

    [Fact]
    public void Opening_needs_a_context_and_a_64_byte_handle()
    {
        if (CudaRuntime.Probe().Available)
        {
            using var context = CudaContext.Open();
            Assert.Throws<ArgumentException>(() => CudaIpc.Open(context, new byte[63]));
            return;
        }
        var error = Assert.Throws<InvalidOperationException>(() => CudaIpc.Open(new byte[CudaIpc.HandleBytes]));
        Assert.Contains("cuIpcOpenMemHandle_v2", error.Message);
    }
}
