using System.Buffers.Binary;
using System.Text.Json.Nodes;
using CsCheck;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// Generators of hostile variants of a valid input: bytes flipped, cut, repeated or overwritten with extreme integers;
/// JSON with values replaced by others of any type (huge, negative, fractional, empty, nested) or removed.
/// </summary>
internal static class Mutations
{
    private static readonly long[] Extremes = [0, -1, 1, 255, 65535, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40];

    /// <summary>The valid bytes with 1 to 8 edits.</summary>
    public static Gen<byte[]> Bytes(byte[] valid) => Edits.Select(edit => edit(valid));

    /// <summary>
    /// 1 to 8 edits as one function, for valid bytes known only at run time (a stream whose MAC tags depend on the
    /// connection's session key): drawn from the seed first, applied once the bytes exist.
    /// </summary>
    public static Gen<Func<byte[], byte[]>> Edits =>
        Gen.Int[1, 8].SelectMany(edits => Edit.Array[edits]).Select(list => (Func<byte[], byte[]>)(valid =>
        {
            var bytes = valid;
            foreach (var edit in list) bytes = edit(bytes);
            return bytes;
        }));

    private static readonly Gen<Func<byte[], byte[]>> Edit = Gen.OneOf(
        // Flip a byte.
        Gen.Int.Select(Gen.Byte).Select((at, value) => (Func<byte[], byte[]>)(b => Copy(b, c => { if (c.Length > 0) c[Index(at, c.Length)] ^= (byte)(value | 1); }))),
        // Cut at a point.
        Gen.Int.Select(at => (Func<byte[], byte[]>)(b => b.Length == 0 ? b : b[..Index(at, b.Length)])),
        // An extreme integer, little-endian, over 8 bytes at a point (a length or offset field gone wild).
        Gen.Int.Select(Gen.Int[0, Extremes.Length - 1]).Select((at, which) => (Func<byte[], byte[]>)(b => Copy(b, c =>
        {
            if (c.Length < 8) return;
            BinaryPrimitives.WriteInt64LittleEndian(c.AsSpan(Index(at, c.Length - 7)), Extremes[which]);
        }))),
        // A run of the input repeated in place.
        Gen.Int.Select(Gen.Int[1, 64]).Select((at, length) => (Func<byte[], byte[]>)(b =>
        {
            if (b.Length == 0) return b;
            int from = Index(at, b.Length), end = Math.Min(b.Length, from + length);
            return [.. b[..end], .. b[from..end], .. b[end..]];
        })),
        // Random bytes inserted.
        Gen.Int.Select(Gen.Byte.Array[1, 16]).Select((at, inserted) => (Func<byte[], byte[]>)(b =>
        {
            int i = b.Length == 0 ? 0 : Index(at, b.Length);
            return [.. b[..i], .. inserted, .. b[i..]];
        })));

    /// <summary>The valid JSON document with 1 to 4 of its values replaced or removed.</summary>
    public static Gen<string> Json(string valid) =>
        Gen.Int[1, 4].SelectMany(edits => Gen.Select(Gen.Int, Value, Gen.Int[0, 4]).Array[edits]).Select(list =>
        {
            var root = JsonNode.Parse(valid)!;
            foreach (var (at, value, how) in list)
            {
                var nodes = Descendants(root).ToList();
                var target = nodes[Index(at, nodes.Count)];
                if (target.Parent is null) continue;
                if (how == 0) Remove(target);
                else target.ReplaceWith(value?.DeepClone());
            }
            return root.ToJsonString();
        });

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf<JsonNode?>(
        Gen.Const<JsonNode?>((JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Int[0, Extremes.Length - 1].Select(i => (JsonNode?)JsonValue.Create(Extremes[i])),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Double.Select(d => double.IsFinite(d) ? (JsonNode?)JsonValue.Create(d) : JsonValue.Create(-0.5)),
        Gen.Const<JsonNode?>(JsonValue.Create(1e308)),
        Gen.String.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Const<JsonNode?>(JsonValue.Create("")),
        Gen.Const<JsonNode?>(JsonValue.Create("\u0000\uffff")));

    private static readonly Gen<JsonNode?> Value = Gen.OneOf(
        Scalar,
        Scalar.Array[0, 4].Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())])),
        Gen.Select(Gen.String, Scalar).Array[0, 3].Select(entries =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in entries) o[k] = v?.DeepClone();
            return (JsonNode?)o;
        }),
        Gen.Const<JsonNode?>(JsonNode.Parse(new string('[', 40) + "1" + new string(']', 40))));

    private static int Index(int at, int length) => (int)((uint)at % (uint)length);

    private static byte[] Copy(byte[] bytes, Action<byte[]> edit)
    {
        var copy = (byte[])bytes.Clone();
        edit(copy);
        return copy;
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(kv => kv.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children)
        {
            if (child is null) continue;
            foreach (var d in Descendants(child)) yield return d;
        }
    }

    private static void Remove(JsonNode node)
    {
        switch (node.Parent)
        {
            case JsonObject o:
                o.Remove(node.GetPropertyName());
                break;
            case JsonArray a:
                a.Remove(node);
                break;
        }
    }
}
