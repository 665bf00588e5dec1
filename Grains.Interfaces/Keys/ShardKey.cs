namespace BlitzScale.Grains.Interfaces.Keys;

/// <summary>The key of a layer shard grain, <c>"{model}/{instance}/{rank}"</c>: one format, one parse.</summary>
public readonly record struct ShardKey
{
    private const string Form = "{model}/{instance}/{rank}";

    /// <summary>Rank <paramref name="rank"/> of instance <paramref name="instance"/> of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The model is empty, or the instance or rank negative.</exception>
    public ShardKey(string model, int instance, int rank)
    {
        Model = KeyText.RequireName(model, nameof(model));
        Instance = KeyText.RequireIndex(instance, nameof(instance));
        Rank = KeyText.RequireIndex(rank, nameof(rank));
    }

    /// <summary>The model's name (may itself contain <c>/</c>).</summary>
    public string Model { get; }

    /// <summary>The instance number within the model.</summary>
    public int Instance { get; }

    /// <summary>The tensor-parallel rank within the instance (0 while instances have one GPU).</summary>
    public int Rank { get; }

    /// <summary>Parses <c>"{model}/{instance}/{rank}"</c>.</summary>
    /// <exception cref="FormatException">The key is not of that form; the message names it.</exception>
    public static ShardKey Parse(string key) => TryParse(key, out var parsed) ? parsed : throw KeyText.Malformed("layer shard key", key, Form);

    /// <summary>Parses <c>"{model}/{instance}/{rank}"</c>; false when <paramref name="key"/> is not of that form.</summary>
    public static bool TryParse(string? key, out ShardKey parsed)
    {
        parsed = default;
        if (key is null) return false;
        int last = key.LastIndexOf('/');
        int middle = last > 0 ? key.LastIndexOf('/', last - 1) : -1;
        if (middle <= 0 || string.IsNullOrWhiteSpace(key[..middle])
            || !KeyText.TryNumber(key.AsSpan(middle + 1, last - middle - 1), out int instance)
            || !KeyText.TryNumber(key.AsSpan(last + 1), out int rank))
        {
            return false;
        }
        parsed = new ShardKey(key[..middle], instance, rank);
        return true;
    }

    /// <summary>Splits into model, instance and rank.</summary>
    public void Deconstruct(out string model, out int instance, out int rank) => (model, instance, rank) = (Model, Instance, Rank);

    /// <summary><c>"{model}/{instance}/{rank}"</c>, the grain key (and the data-plane source id of the shard's image).</summary>
    public override string ToString() => $"{Model}/{Instance}/{Rank}";
}
