using BlitzScale.Grains.Interfaces;
using Microsoft.Extensions.DependencyInjection;

namespace BlitzScale.Client;

/// <summary>Adds BlitzScale to an Orleans client.</summary>
public static class BlitzScaleClientBuilderExtensions
{
    /// <summary>Registers <see cref="BlitzScaleClient"/> and the stream provider BlitzScale's events flow on.</summary>
    public static IClientBuilder AddBlitzScaleClient(this IClientBuilder builder)
    {
        builder.AddMemoryStreams(StreamNames.Provider);
        builder.Services.AddSingleton<BlitzScaleClient>();
        return builder;
    }
}
