namespace Strongroom.Core.Kms;

/// <summary>A KMS key's metadata. Key material lives in versions, wrapped by the root key. Mutable; not thread-safe.</summary>
public sealed class KmsKeyRecord
{
    public required Guid KeyId { get; init; }

    public required string Region { get; init; }

    public required string Arn { get; init; }

    /// <summary>Enabled, Disabled, PendingDeletion (AWS's strings through <see cref="KmsKeyWire"/>).</summary>
    public required KmsKeyState State { get; set; }

    /// <summary>AWS managed or customer managed ("AWS" / "CUSTOMER" through <see cref="KmsKeyWire"/>).</summary>
    public required KmsKeyManager Manager { get; init; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedDate { get; init; }

    /// <summary>The material version new encryptions use; versions 1..CurrentVersion all still decrypt.</summary>
    public uint CurrentVersion { get; set; }

    public string KeyUsage { get; set; } = "ENCRYPT_DECRYPT";

    public string KeySpec { get; set; } = "SYMMETRIC_DEFAULT";

    public string Origin { get; set; } = "AWS_KMS";

    /// <summary>When the key is PendingDeletion: the moment it is deleted.</summary>
    public DateTimeOffset? DeletionDate { get; set; }

    public int? PendingWindowInDays { get; set; }

    public bool RotationEnabled { get; set; }

    public int? RotationPeriodInDays { get; set; }

    public DateTimeOffset? NextRotationDate { get; set; }

    /// <summary>The key policy (named "default"), verbatim.</summary>
    public string? Policy { get; set; }

    public List<KeyValuePair<string, string>> Tags { get; set; } = [];
}
