using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>A row-major (rows, cols) weight matrix stored in its file dtype inside the parameter image.</summary>
internal readonly unsafe struct WeightMatrix(byte* data, DType dtype, int rows, int cols)
{
    public byte* Data { get; } = data;
    public DType DType { get; } = dtype;
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;

    public byte* Row(int row) => Data + (long)row * Cols * DType.Size();

    /// <summary>Row <paramref name="row"/> widened to f32 into <paramref name="destination"/>.</summary>
    public void ReadRow(int row, Span<float> destination) => Dtype.ToSingle(Row(row), DType, destination[..Cols]);
}
