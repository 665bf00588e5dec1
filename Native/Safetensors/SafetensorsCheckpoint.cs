using System.Diagnostics.CodeAnalysis;

namespace BlitzScale.Native.Safetensors;

/// <summary>
/// One model's weights: a single model.safetensors, or the shards named by model.safetensors.index.json.
/// Every file is memory-mapped and validated on open, and the index is checked against the shards.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    private const string SingleFileName = "model.safetensors";

    private readonly string _source;
    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _owners;
    private readonly Dictionary<string, TensorInfo> _tensors;

    private SafetensorsCheckpoint(string source, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owners)
    {
        _source = source;
        _files = files;
        _owners = owners;
        _tensors = new Dictionary<string, TensorInfo>(owners.Count, StringComparer.Ordinal);
        foreach (var (name, file) in owners)
            _tensors.Add(name, file.Tensors[name]);
        Tensors = _tensors.AsReadOnly();
        Files = files.Select(f => f.FilePath).ToArray().AsReadOnly();
    }

    /// <summary>Every tensor of every file, by name (ordinal).</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>Paths of the files the checkpoint is made of, in index order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>
    /// Opens the checkpoint in <paramref name="directory"/>: model.safetensors.index.json and its shards when the
    /// index exists, otherwise model.safetensors.
    /// </summary>
    /// <exception cref="SafetensorsException">Neither file exists, a file is malformed, or index and shards disagree.</exception>
    public static SafetensorsCheckpoint Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string indexPath = Path.Combine(directory, CheckpointIndex.FileName);
        if (File.Exists(indexPath))
        {
            var (files, owners) = ShardedCheckpointLoader.Load(directory, indexPath);
            return new SafetensorsCheckpoint(indexPath, files, owners);
        }
        string singlePath = Path.Combine(directory, SingleFileName);
        if (!File.Exists(singlePath))
        {
            throw new SafetensorsException(directory, null,
                $"no weights: expected {CheckpointIndex.FileName} (sharded) or {SingleFileName} in this directory");
        }
        var file = SafetensorsFile.Open(singlePath);
        var single = new Dictionary<string, SafetensorsFile>(file.Tensors.Count, StringComparer.Ordinal);
        foreach (string name in file.Tensors.Keys)
            single.Add(name, file);
        return new SafetensorsCheckpoint(singlePath, [file], single);
    }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="SafetensorsException">No such tensor.</exception>
    public TensorInfo Get(string name)
    {
        if (!_tensors.TryGetValue(name, out var info)) ThrowNotFound(name);
        return info;
    }

    /// <summary>Looks a tensor up without throwing.</summary>
    public bool TryGet(string name, [MaybeNullWhen(false)] out TensorInfo info) => _tensors.TryGetValue(name, out info);

    /// <summary>The file that holds the tensor called <paramref name="name"/>.</summary>
    /// <exception cref="SafetensorsException">No such tensor.</exception>
    public SafetensorsFile FileOf(string name)
    {
        if (!_owners.TryGetValue(name, out var file)) ThrowNotFound(name);
        return file;
    }

    /// <summary>The tensor's bytes, without copying. Valid until the checkpoint is disposed.</summary>
    /// <exception cref="SafetensorsException">No such tensor, or it is over <see cref="int.MaxValue"/> bytes.</exception>
    public ReadOnlySpan<byte> GetBytes(string name) => FileOf(name).GetBytes(name);

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }

    [DoesNotReturn]
    private void ThrowNotFound(string name) =>
        throw new SafetensorsException(_source, name, $"not found (key not found): the checkpoint holds {_tensors.Count} tensors");
}
