namespace Strongroom.Core.Parameters;

/// <summary>
/// One version of a parameter as stored. <see cref="Value"/> is the plaintext for String and StringList and
/// a KMS ciphertext blob for SecureString. Mutable; not thread-safe.
/// </summary>
public sealed class ParameterVersionRecord
{
    public long Version { get; set; }

    public required string Type { get; set; }

    public required byte[] Value { get; set; }

    public string? KeyId { get; set; }

    public string? Description { get; set; }

    public string? AllowedPattern { get; set; }

    public string Tier { get; set; } = "Standard";

    public string DataType { get; set; } = "text";

    /// <summary>The JSON array text of the parameter policies, or null.</summary>
    public string? Policies { get; set; }

    public DateTimeOffset LastModifiedDate { get; set; }

    public string? LastModifiedUser { get; set; }

    public ParameterVersionRecord Copy() => (ParameterVersionRecord)MemberwiseClone();
}

/// <summary>A parameter: its latest version, its labels and tags. <see cref="Key"/> is the canonical name used for lookups.</summary>
public sealed class ParameterRecord
{
    public required string Region { get; init; }

    /// <summary>Canonical name: a single-level name without its optional leading slash; a path as given.</summary>
    public required string Key { get; init; }

    /// <summary>The name as first written.</summary>
    public required string Name { get; init; }

    public required ParameterVersionRecord Current { get; set; }

    /// <summary>label → version.</summary>
    public Dictionary<string, long> Labels { get; set; } = new(StringComparer.Ordinal);

    public List<KeyValuePair<string, string>> Tags { get; set; } = [];
}
