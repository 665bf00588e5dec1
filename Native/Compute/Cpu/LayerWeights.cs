using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>Views of one decoder layer's tensors inside the parameter image, with the fused [q;k;v] and [gate;up] matrices.</summary>
internal readonly unsafe struct LayerWeights
{
    public LayerWeights(ParameterImage image, int layer)
    {
        var config = image.Layout.Config;
        var blob = image.Layout.Layer(layer);
        ImageTensor T(string suffix) => blob[TensorNames.Layer(layer, suffix)];
        byte* P(ImageTensor t) => image.TensorPointer(blob, t);

        int h = config.HiddenSize, i = config.IntermediateSize;
        int qkvRows = config.QueryDim + 2 * config.KvDim;
        InputNorm = new WeightMatrix(P(T(TensorNames.InputNorm)), T(TensorNames.InputNorm).DType, 1, h);
        var q = T(TensorNames.Q);
        Qkv = new WeightMatrix(P(q), q.DType, qkvRows, h);
        var qBias = config.AttentionBias ? T(TensorNames.QBias) : null;
        QkvBias = qBias is null ? null : new WeightMatrix(P(qBias), qBias.DType, 1, qkvRows);
        O = new WeightMatrix(P(T(TensorNames.O)), T(TensorNames.O).DType, h, config.QueryDim);
        PostNorm = new WeightMatrix(P(T(TensorNames.PostNorm)), T(TensorNames.PostNorm).DType, 1, h);
        var gate = T(TensorNames.Gate);
        GateUp = new WeightMatrix(P(gate), gate.DType, 2 * i, h);
        Down = new WeightMatrix(P(T(TensorNames.Down)), T(TensorNames.Down).DType, h, i);
    }

    public WeightMatrix InputNorm { get; }
    public WeightMatrix Qkv { get; }
    public WeightMatrix? QkvBias { get; }
    public WeightMatrix O { get; }
    public WeightMatrix PostNorm { get; }
    public WeightMatrix GateUp { get; }
    public WeightMatrix Down { get; }
}
