using BlitzScale.Tests.Shared;
using System.Buffers.Binary;
using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Safetensors;

public sealed class SafetensorsRoundTripTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Tensors_of_every_dtype_read_back_with_their_bytes_shapes_and_metadata()
    {
        var tensors = new[]
        {
            TestTensors.F32("a.weight", 3, 5),
            TestTensors.F16("b.weight", 7),
            TestTensors.BF16("c.weight", 2, 3, 4),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" };
        string path = _dir.File("model.safetensors");
        SafetensorsWriter.WriteFile(path, tensors, metadata);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(path, file.FilePath);
        Assert.Equal(new[] { "a.weight", "b.weight", "c.weight" }, file.Tensors.Keys);
        Assert.Equal(metadata.OrderBy(m => m.Key), file.Metadata.OrderBy(m => m.Key));
        foreach (var (spec, data) in tensors)
        {
            var info = file.Tensors[spec.Name];
            Assert.Equal(spec.Name, info.Name);
            Assert.Equal(spec.DType, info.DType);
            Assert.Equal(spec.Shape, info.Shape);
            Assert.Equal(data.Length, info.ByteLength);
            Assert.Equal(data, file.GetBytes(spec.Name).ToArray());
        }
        Assert.Equal(24, file.Tensors["c.weight"].ElementCount);
    }

    [Fact]
    public void Data_starts_at_an_8_byte_aligned_offset_and_tensors_are_contiguous_in_spec_order()
    {
        string path = _dir.File("aligned.safetensors");
        SafetensorsWriter.WriteFile(path, [TestTensors.F16("z", 3), TestTensors.F32("a", 2)]);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0UL, headerLength % 8);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(8 + (long)headerLength, file.Tensors["z"].DataOffset);
        Assert.Equal(file.Tensors["z"].DataOffset + 6, file.Tensors["a"].DataOffset);
    }

    [Fact]
    public void A_scalar_has_one_element_and_an_empty_tensor_none()
    {
        string path = _dir.File("scalar.safetensors");
        SafetensorsWriter.WriteFile(path, [TestTensors.F32("scalar"), TestTensors.F32("empty", 0, 4)]);

        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors["scalar"].Shape);
        Assert.Equal(1, file.Tensors["scalar"].ElementCount);
        Assert.Equal(4, file.GetBytes("scalar").Length);
        Assert.Equal(0, file.Tensors["empty"].ElementCount);
        Assert.Equal(0, file.GetBytes("empty").Length);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void GetBytes_of_an_unknown_tensor_names_the_file_and_the_tensor()
    {
        string path = _dir.File("one.safetensors");
        SafetensorsWriter.WriteFile(path, [TestTensors.F32("present", 2)]);

        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<SafetensorsException>(() => file.GetBytes("absent"));
        Assert.Equal(path, e.FilePath);
        Assert.Equal("absent", e.TensorName);
        Assert.Contains(path, e.Message);
        Assert.Contains("\"absent\"", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void The_specs_byte_length_is_elements_times_dtype_size()
    {
        Assert.Equal(2 * 3 * 2, new TensorSpec("x", DType.BF16, [2, 3]).ByteLength);
        Assert.Equal(4, new TensorSpec("x", DType.F32, []).ByteLength);
    }
}
