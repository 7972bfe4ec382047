using Microsoft.Extensions.Configuration;

namespace Strongroom.Client;

/// <summary>The IConfigurationSource behind <c>AddStrongroomSecrets</c>.</summary>
public sealed class StrongroomSecretsConfigurationSource(StrongroomSecretsOptions options, SecretCache? cache = null) : IConfigurationSource
{
    public StrongroomSecretsOptions Options { get; } = options;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new StrongroomSecretsConfigurationProvider(Options, cache);
}
