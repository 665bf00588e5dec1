using BlitzScale.Tests.Shared;
using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Safetensors;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Bytes_written_in_pieces_that_cross_tensor_boundaries_land_in_the_right_tensors()
    {
        var a = TestTensors.F32("a", 5);
        var b = TestTensors.F16("b", 3, 3);
        var c = TestTensors.BF16("c", 4);
        byte[] all = [.. a.Data, .. b.Data, .. c.Data];
        string path = _dir.File("streamed.safetensors");

        using (var writer = new SafetensorsWriter(path, [a.Spec, b.Spec, c.Spec], new Dictionary<string, string> { ["k"] = "v" }))
        {
            // Piece sizes that straddle every boundary, plus an empty write.
            int[] pieces = [3, 0, 14, 7, 11, all.Length - 35];
            int at = 0;
            foreach (int n in pieces)
            {
                writer.Write(all.AsSpan(at, n));
                at += n;
            }
            writer.Complete();
        }

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(a.Data, file.GetBytes("a").ToArray());
        Assert.Equal(b.Data, file.GetBytes("b").ToArray());
        Assert.Equal(c.Data, file.GetBytes("c").ToArray());
        Assert.Equal("v", file.Metadata["k"]);
    }

    [Fact]
    public void Writing_more_bytes_than_the_specs_need_throws_and_names_the_file()
    {
        string path = _dir.File("too-many.safetensors");
        using var writer = new SafetensorsWriter(path, [new TensorSpec("only", DType.F32, [2])]);
        writer.Write(new byte[6]);

        var e = Assert.Throws<InvalidOperationException>(() => writer.Write(new byte[3]));
        Assert.Contains(path, e.Message);
        Assert.Contains("8 bytes", e.Message);
        Assert.Contains("\"only\"", e.Message);
    }

    [Fact]
    public void Completing_with_too_few_bytes_throws_naming_the_unfinished_tensor()
    {
        string path = _dir.File("too-few.safetensors");
        using var writer = new SafetensorsWriter(path, [new TensorSpec("a", DType.F32, [2]), new TensorSpec("b", DType.F16, [4])]);
        writer.Write(new byte[10]);

        var e = Assert.Throws<InvalidOperationException>(writer.Complete);
        Assert.Contains(path, e.Message);
        Assert.Contains("10 of 16 bytes", e.Message);
        Assert.Contains("\"b\" has 2 of its 8 bytes", e.Message);
    }

    [Fact]
    public void Disposing_an_incomplete_writer_deletes_the_partial_file()
    {
        string path = _dir.File("abandoned.safetensors");
        using (var writer = new SafetensorsWriter(path, [new TensorSpec("a", DType.F32, [4])]))
            writer.Write(new byte[4]);

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Disposing_a_writer_that_received_every_byte_finishes_the_file()
    {
        string path = _dir.File("disposed.safetensors");
        using (var writer = new SafetensorsWriter(path, [new TensorSpec("a", DType.F16, [2])]))
            writer.Write(new byte[] { 1, 2, 3, 4 });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, file.GetBytes("a").ToArray());
    }

    [Fact]
    public void WriteFile_rejects_data_whose_length_differs_from_the_spec()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.WriteFile(_dir.File("x.safetensors"), [(new TensorSpec("w", DType.F32, [3]), new byte[8])]));
        Assert.Contains("\"w\"", e.Message);
        Assert.Contains("needs 12", e.Message);
    }

    [Fact]
    public void Duplicate_spec_names_are_rejected()
    {
        var spec = new TensorSpec("w", DType.F32, [1]);
        var e = Assert.Throws<ArgumentException>(() => new SafetensorsWriter(_dir.File("dup.safetensors"), [spec, spec]));
        Assert.Contains("\"w\"", e.Message);
    }
}
