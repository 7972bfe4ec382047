namespace Strongroom.Client;

/// <summary>
/// What <c>AddStrongroomSecrets</c> puts into IConfiguration. A JSON object secret is flattened ({"Db":{"Password":"p"}}
/// under section S gives S:Db:Password); any other value, and a binary secret (base64), is the section's own value.
/// Sections: <see cref="Secret"/>'s section argument, else the secret's name with '/' as ':'; for
/// <see cref="NamePrefix"/>, the name after the prefix (with '/' as ':') under the optional section.
/// </summary>
public sealed class StrongroomSecretsOptions : StrongroomClientOptions
{
    private readonly List<SecretMapping> _mappings = [];

    public IReadOnlyList<SecretMapping> Mappings => _mappings;

    /// <summary>A missing or unreadable secret is left out instead of failing the load.</summary>
    public bool Optional { get; set; }

    /// <summary>How often name prefixes are listed again (new secrets appear). Changes of loaded secrets arrive through the cache.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Load <paramref name="secretId"/> (name or ARN) under <paramref name="section"/>.</summary>
    public StrongroomSecretsOptions Secret(string secretId, string? section = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretId);
        _mappings.Add(new SecretMapping(secretId, null, section));
        return this;
    }

    /// <summary>Load every secret whose name starts with <paramref name="prefix"/>, each under the rest of its name.</summary>
    public StrongroomSecretsOptions NamePrefix(string prefix, string? section = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _mappings.Add(new SecretMapping(null, prefix, section));
        return this;
    }
}
