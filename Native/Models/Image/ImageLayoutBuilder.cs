using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Models.Image;

/// <summary>Places the tensors of a checkpoint into blobs, validating names, shapes and dtypes.</summary>
internal sealed class ImageLayoutBuilder(
    LlamaConfig config,
    Func<string, (DType DType, IReadOnlyList<long> Shape)?> lookup,
    string source)
{
    private readonly List<ImageBlob> _blobs = [];
    private long _imageOffset;

    public ImageLayout Build()
    {
        foreach (var spec in ModelTensors.Blobs(config))
            AddBlob(spec);
        return new ImageLayout(config, _blobs);
    }

    private void AddBlob(BlobSpec spec)
    {
        var tensors = new List<ImageTensor>();
        long offset = 0;
        foreach (var group in spec.Groups)
        {
            offset = Align(offset, ImageLayout.TensorAlignment);
            DType? groupType = null;
            foreach (var (name, shape) in group)
            {
                var dtype = Find(name, shape);
                if (groupType is { } first && first != dtype)
                {
                    throw new ModelLayoutException(source, name,
                        $"dtype {dtype.SafetensorsName()} differs from {first.SafetensorsName()} of \"{group[0].Name}\"; " +
                        "tensors multiplied together as one matrix must share a dtype");
                }
                groupType = dtype;
                long bytes = shape.Aggregate(1L, (a, b) => a * b) * dtype.Size();
                tensors.Add(new ImageTensor(name, dtype, shape, offset, bytes));
                offset += bytes;
            }
        }
        long length = Align(offset, ImageLayout.BlobAlignment);
        _blobs.Add(new ImageBlob(_blobs.Count, spec.Kind, spec.Layer, _imageOffset, length, tensors));
        _imageOffset += length;
    }

    private DType Find(string name, long[] expected)
    {
        var found = lookup(name)
            ?? throw new ModelLayoutException(source, name, $"missing: the config implies shape [{string.Join(", ", expected)}]");
        if (!found.Shape.SequenceEqual(expected))
        {
            throw new ModelLayoutException(source, name,
                $"shape mismatch: config implies [{string.Join(", ", expected)}], file has [{string.Join(", ", found.Shape)}]");
        }
        return found.DType;
    }

    private static long Align(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}
