using BlitzScale.Tests.Shared;
using BlitzScale.Native.Safetensors;

namespace BlitzScale.Native.Tests.Safetensors;

public sealed class SafetensorsFileValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected()
    {
        string path = _dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        AssertFails(path, null, "file is 3 bytes", "8-byte");
    }

    [Fact]
    public void A_file_whose_data_section_was_cut_short_names_the_tensor_that_no_longer_fits()
    {
        string path = _dir.File("truncated.safetensors");
        SafetensorsWriter.WriteFile(path, [TestTensors.F32("first", 4), TestTensors.F32("second", 4)]);
        long fullLength = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(fullLength - 5);

        AssertFails(path, "second", "beyond the data section", $"file size {fullLength - 5} bytes", "truncated");
    }

    [Fact]
    public void A_header_length_larger_than_the_file_is_rejected()
    {
        string path = TestTensors.WriteRaw(_dir.File("huge.safetensors"), "{}", 0, headerLength: ulong.MaxValue);
        AssertFails(path, null, $"header length {ulong.MaxValue}", "file size 10 bytes");
    }

    [Fact]
    public void A_header_length_over_100_MB_is_rejected_even_when_the_file_is_that_large()
    {
        string path = _dir.File("over-limit.safetensors");
        TestTensors.WriteRaw(path, "{}", 0, headerLength: 100_000_001);
        // Sparse on the file systems we test on: no 100 MB actually written.
        using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(8 + 100_000_001);

        AssertFails(path, null, "header length 100000001", "limit of 100000000 bytes");
    }

    [Fact]
    public void A_zero_header_length_is_rejected()
    {
        string path = TestTensors.WriteRaw(_dir.File("zero.safetensors"), "{}", 16, headerLength: 0);
        AssertFails(path, null, "header length is 0");
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": \"F32\",")]
    [InlineData("not json")]
    [InlineData("{\"a\": 1,}")]
    public void A_header_that_is_not_JSON_is_rejected(string header)
    {
        string path = TestTensors.WriteRaw(_dir.File("bad-json.safetensors"), header, 0);
        AssertFails(path, null, "header is not valid JSON");
    }

    [Fact]
    public void A_header_that_is_not_UTF8_is_rejected()
    {
        byte[] header = [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        string path = TestTensors.WriteRaw(_dir.File("latin1.safetensors"), header, 0, (ulong)header.Length);
        AssertFails(path, null, "not valid UTF-8");
    }

    [Fact]
    public void A_header_that_is_not_an_object_is_rejected()
    {
        string path = TestTensors.WriteRaw(_dir.File("array.safetensors"), "[1, 2]", 0);
        AssertFails(path, null, "header must be a JSON object", "array [1, 2]");
    }

    [Fact]
    public void An_entry_that_is_not_an_object_is_rejected()
    {
        string path = TestTensors.WriteRaw(_dir.File("entry.safetensors"), "{\"w\": 5}", 0);
        AssertFails(path, "w", "expected an object with \"dtype\", \"shape\" and \"data_offsets\"", "number 5");
    }

    [Theory]
    [InlineData("dtype", "{\"shape\": [1], \"data_offsets\": [0, 4]}")]
    [InlineData("shape", "{\"dtype\": \"F32\", \"data_offsets\": [0, 4]}")]
    [InlineData("data_offsets", "{\"dtype\": \"F32\", \"shape\": [1]}")]
    public void An_entry_missing_a_field_names_the_field(string field, string entry)
    {
        string path = TestTensors.WriteRaw(_dir.File("missing.safetensors"), $"{{\"w\": {entry}}}", 4);
        AssertFails(path, "w", $"missing \"{field}\"");
    }

    [Theory]
    [InlineData("I64")]
    [InlineData("F64")]
    [InlineData("f32")]
    public void An_unsupported_dtype_is_named_and_the_supported_ones_listed(string dtype)
    {
        string path = TestTensors.WriteRaw(_dir.File("dtype.safetensors"),
            $"{{\"w\": {{\"dtype\": \"{dtype}\", \"shape\": [1], \"data_offsets\": [0, 8]}}}}", 8);
        AssertFails(path, "w", $"unsupported dtype \"{dtype}\"", "F32, F16, BF16");
    }

    [Theory]
    [InlineData("[2, -1]", "dimension 1")]
    [InlineData("[1.5]", "dimension 0")]
    [InlineData("[\"2\"]", "dimension 0")]
    [InlineData("4", "\"shape\" must be an array")]
    public void A_shape_with_a_negative_or_non_integer_dimension_is_rejected(string shape, string expected)
    {
        string path = TestTensors.WriteRaw(_dir.File("shape.safetensors"),
            $"{{\"w\": {{\"dtype\": \"F32\", \"shape\": {shape}, \"data_offsets\": [0, 8]}}}}", 8);
        AssertFails(path, "w", expected);
    }

    [Theory]
    [InlineData("[0]", "must be [begin, end]")]
    [InlineData("[0, 4, 8]", "must be [begin, end]")]
    [InlineData("[-4, 4]", "must be [begin, end]")]
    [InlineData("[0, \"4\"]", "must be [begin, end]")]
    [InlineData("[8, 4]", "begin is after end")]
    public void Data_offsets_that_are_not_an_ordered_pair_of_integers_are_rejected(string offsets, string expected)
    {
        string path = TestTensors.WriteRaw(_dir.File("offsets.safetensors"),
            $"{{\"w\": {{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": {offsets}}}}}", 16);
        AssertFails(path, "w", expected);
    }

    [Fact]
    public void A_shape_that_disagrees_with_the_offsets_says_both_byte_counts()
    {
        string path = TestTensors.WriteRaw(_dir.File("mismatch.safetensors"),
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 24);
        AssertFails(path, "w", "shape [2, 3] of F32 needs 24 bytes", "span 20 bytes");
    }

    [Fact]
    public void Offsets_past_the_end_of_the_data_say_the_file_size()
    {
        const string header = "{\"w\": {\"dtype\": \"F16\", \"shape\": [8], \"data_offsets\": [4, 20]}}";
        string path = TestTensors.WriteRaw(_dir.File("range.safetensors"), header, 16);
        long size = new FileInfo(path).Length;
        AssertFails(path, "w", "[4, 20]", "holds 16 bytes", $"file size {size} bytes");
    }

    [Fact]
    public void Overlapping_tensors_are_rejected_naming_both()
    {
        string path = TestTensors.WriteRaw(_dir.File("overlap.safetensors"),
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
            + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}", 16);
        var e = AssertFails(path, "b", "overlap tensor \"a\"");
        Assert.Contains("\"b\"", e.Message);
    }

    [Fact]
    public void Empty_tensors_overlap_nothing()
    {
        string path = TestTensors.WriteRaw(_dir.File("empty.safetensors"),
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
            + " \"b\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [8, 8]}}", 16);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(2, file.Tensors.Count);
    }

    [Theory]
    [InlineData("{\"format\": 1}", "\"format\" maps to number 1")]
    [InlineData("[\"pt\"]", "must be an object mapping strings to strings")]
    public void Metadata_that_is_not_string_to_string_is_rejected(string metadata, string expected)
    {
        string path = TestTensors.WriteRaw(_dir.File("metadata.safetensors"), $"{{\"__metadata__\": {metadata}}}", 0);
        AssertFails(path, null, "__metadata__", expected);
    }

    [Fact]
    public void A_tensor_listed_twice_is_rejected()
    {
        string path = TestTensors.WriteRaw(_dir.File("twice.safetensors"),
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
            + " \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8);
        AssertFails(path, "w", "appears twice");
    }

    // Every failure must say which file, which tensor (when one is to blame) and what was wrong.
    private static SafetensorsException AssertFails(string path, string? tensor, params string[] fragments)
    {
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Equal(tensor, e.TensorName);
        Assert.StartsWith(path, e.Message);
        if (tensor is not null) Assert.Contains($"tensor \"{tensor}\"", e.Message);
        foreach (string fragment in fragments) Assert.Contains(fragment, e.Message);
        return e;
    }
}
