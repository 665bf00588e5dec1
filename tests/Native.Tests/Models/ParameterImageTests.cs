using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Models;

/// <summary>
/// A new image is all zeros (its padding is compared and hashed byte for byte) and starts on a blob boundary, whether its
/// memory is fresh from the kernel (a large image) or reused from the heap after another image was freed (a small one).
/// </summary>
public sealed unsafe class ParameterImageTests
{
    // "tiny" is about 2 MB, well under glibc's largest mmap threshold (32 MiB), so freed memory comes back from the heap;
    // 3 layers of stories110m with its 32,000-word embedding are about 100 MB, above it.
    public static TheoryData<string, int> Shapes => new() { { "tiny", 4 }, { "stories110m", 3 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_new_image_is_zero_and_aligned_even_in_memory_an_earlier_image_dirtied(string shape, int layers)
    {
        var config = SyntheticShapes.Get(shape) with { NumLayers = layers };
        var layout = ImageLayout.Build(config, name => ModelTensors.All(config).Where(t => t.Name == name).Select(t => ((DType, IReadOnlyList<long>)?)(DType.F32, t.Shape)).FirstOrDefault(), "test");
        for (int round = 0; round < 3; round++)
        {
            using var image = ParameterImage.Allocate(layout);
            Assert.Equal(0, (long)image.Base % ImageLayout.BlobAlignment);
            for (int blob = 0; blob < layout.Blobs.Count; blob++)
            {
                var bytes = image.BlobBytes(blob);
                int dirty = bytes.IndexOfAnyExcept((byte)0);
                Assert.True(dirty < 0, $"round {round}: byte {dirty} of blob {blob} is {(dirty < 0 ? 0 : bytes[dirty])}, not 0");
                Assert.False(image.IsLoaded(blob));
                // The next round's image may get this memory back.
                bytes.Fill(0xA5);
            }
        }
    }
}
