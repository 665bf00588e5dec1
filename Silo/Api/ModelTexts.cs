using System.Collections.Concurrent;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Silo.Api;

/// <summary>Each deployed model's <see cref="ModelText"/>, read once per model directory.</summary>
internal sealed class ModelTexts(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, Lazy<ModelText>> _byDirectory = new(StringComparer.Ordinal);

    /// <exception cref="ApiException">404: the model is not deployed; 500: its files cannot be read here.</exception>
    public async Task<ModelText> GetAsync(string model)
    {
        ModelStatus status;
        try
        {
            status = await grains.GetGrain<IModelGrain>(model).GetStatus();
        }
        catch (KeyNotFoundException)
        {
            throw ApiErrors.ModelNotFound(model);
        }
        var text = _byDirectory.GetOrAdd(status.ModelDirectory, d => new Lazy<ModelText>(() => ModelText.Load(d)));
        try
        {
            return text.Value;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            // Not the client's mistake: this host cannot read the model's tokenizer. Try again on the next request.
            _byDirectory.TryRemove(new KeyValuePair<string, Lazy<ModelText>>(status.ModelDirectory, text));
            throw new ApiException(500, $"model {model}: cannot read its tokenizer on this host: {e.Message}", "internal_error");
        }
    }
}
