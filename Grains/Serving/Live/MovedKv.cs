using BlitzScale.Native.Engine;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// A split request's keys and values of layers [0, j) for the positions computed so far, read out of the LiveNew's store,
/// for the LiveOld to write into the request's blocks there and run it whole from then on.
/// </summary>
/// <param name="RequestId">The request.</param>
/// <param name="Slice">The positions computed so far, layers [0, j).</param>
/// <param name="Kv">The slice's rows of kv_dim floats (<see cref="KvSlice"/>'s layout).</param>
/// <param name="Partner">The LiveNew partner (its shard) that sent it; null: the one paired now.</param>
internal sealed record MovedKv(string RequestId, KvSlice Slice, HiddenStates Kv, string? Partner = null);
