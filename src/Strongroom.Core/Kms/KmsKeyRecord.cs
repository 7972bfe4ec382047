namespace Strongroom.Core.Kms;

/// <summary>A KMS key's metadata. Key material lives in versions, wrapped by the root key.</summary>
public sealed class KmsKeyRecord
{
    public required Guid KeyId { get; init; }

    public required string Region { get; init; }

    public required string Arn { get; init; }

    /// <summary>Enabled, Disabled, PendingDeletion.</summary>
    public required string State { get; set; }

    /// <summary>AWS for AWS managed keys, CUSTOMER for customer managed keys.</summary>
    public required string Manager { get; init; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedDate { get; init; }

    public uint CurrentVersion { get; set; }
}
