using Microsoft.Extensions.Configuration;

namespace Strongroom.Client;

/// <summary><c>builder.Configuration.AddStrongroomSecrets(o => o.Secret("prod/db", "Database"))</c>.</summary>
public static class StrongroomConfigurationExtensions
{
    /// <summary>Adds secrets as configuration (see <see cref="StrongroomSecretsOptions"/>), reloaded when they change.</summary>
    public static IConfigurationBuilder AddStrongroomSecrets(this IConfigurationBuilder builder, Action<StrongroomSecretsOptions> configure, SecretCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new StrongroomSecretsOptions();
        configure(options);
        return builder.Add(new StrongroomSecretsConfigurationSource(options, cache));
    }
}
