using Microsoft.Extensions.DependencyInjection;

namespace Strongroom.Client;

/// <summary><c>services.AddStrongroomSecretCache(o => o.EndpointUrl = "http://127.0.0.1:4566")</c>: one <see cref="SecretCache"/> per container.</summary>
public static class StrongroomServiceCollectionExtensions
{
    /// <summary>Registers a singleton <see cref="SecretCache"/> (made on first use, disposed with the container) and its <see cref="SecretsManagerClient"/>.</summary>
    public static IServiceCollection AddStrongroomSecretCache(this IServiceCollection services, Action<StrongroomClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new StrongroomClientOptions();
        configure?.Invoke(options);
        services.AddSingleton(_ => options.CreateCache());
        services.AddSingleton(sp => sp.GetRequiredService<SecretCache>().Client);
        return services;
    }
}
