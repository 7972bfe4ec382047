namespace Strongroom.Core.Secrets;

/// <summary>One version of a secret. <see cref="Envelope"/> is null for a value-less rotation placeholder.</summary>
public sealed class SecretVersionRecord
{
    public required string VersionId { get; init; }

    public DateTimeOffset CreatedDate { get; set; }

    public DateTimeOffset? LastAccessedDate { get; set; }

    /// <summary>The encrypted value in <see cref="Crypto.SecretEnvelope"/> format 1, or null.</summary>
    public byte[]? Envelope { get; set; }

    /// <summary>ARN of the KMS key the data key is wrapped under.</summary>
    public string? KmsKeyArn { get; set; }

    public List<string> Stages { get; set; } = [];

    /// <summary>A copy sharing nothing mutable with this one (every field, so a field added later is copied too).</summary>
    public SecretVersionRecord Copy()
    {
        var copy = (SecretVersionRecord)MemberwiseClone();
        copy.Envelope = Envelope is null ? null : [.. Envelope];
        copy.Stages = [.. Stages];
        return copy;
    }
}
