using Microsoft.Extensions.Configuration;

namespace Strongroom.Configuration;

/// <summary>The STRONGROOM_* variables as configuration keys named like the flags (see <see cref="StrongroomEnvironmentProvider"/>).</summary>
public sealed class StrongroomEnvironmentSource : IConfigurationSource
{
    /// <inheritdoc/>
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new StrongroomEnvironmentProvider();
}
