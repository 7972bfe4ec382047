namespace Strongroom.Core.Secrets;

/// <summary>
/// A secret's metadata as stored (no values). Mutable: use cases change a loaded copy inside a write
/// transaction and save it back. Not thread-safe.
/// </summary>
public sealed class SecretRecord
{
    public long Id { get; set; }

    public required string Region { get; set; }

    public required string Name { get; set; }

    public required string Arn { get; set; }

    public string? Description { get; set; }

    /// <summary>The key as the user named it; null means the AWS managed key alias/aws/secretsmanager.</summary>
    public string? KmsKeyId { get; set; }

    public DateTimeOffset CreatedDate { get; set; }

    public DateTimeOffset LastChangedDate { get; set; }

    public DateTimeOffset? LastAccessedDate { get; set; }

    /// <summary>When set, the secret is scheduled for deletion at this time.</summary>
    public DateTimeOffset? DeletedDate { get; set; }

    public DateTimeOffset? LastRotatedDate { get; set; }

    public DateTimeOffset? NextRotationDate { get; set; }

    public bool? RotationEnabled { get; set; }

    public string? RotationLambdaArn { get; set; }

    public RotationRules? RotationRules { get; set; }

    public string? ResourcePolicy { get; set; }

    public List<SecretTag> Tags { get; set; } = [];

    /// <summary>
    /// True once the secret has had tags (created with some, or tagged since). AWS then shows "Tags" in
    /// DescribeSecret and ListSecrets even when every tag was removed ("Tags": []); a never-tagged secret shows none.
    /// </summary>
    public bool HasTagList { get; set; }

    /// <summary>Whether answers show a Tags member: the secret has tags or had some.</summary>
    public bool ShowsTags => HasTagList || Tags.Count > 0;

    /// <summary>For a replica: the primary's region. Null for a primary or a standalone secret.</summary>
    public string? PrimaryRegion { get; set; }

    /// <summary>For a primary: its replicas.</summary>
    public List<ReplicaStatus> Replicas { get; set; } = [];

    public string? OwningService { get; set; }

    public string? Type { get; set; }

    public bool IsReplica => PrimaryRegion is not null && PrimaryRegion != Region;

    /// <summary>A copy sharing nothing mutable with this one (every field, so a field added later is copied too).</summary>
    public SecretRecord Copy()
    {
        var copy = (SecretRecord)MemberwiseClone();
        copy.Tags = [.. Tags];
        copy.Replicas = [.. Replicas.Select(r => r.Copy())];
        return copy;
    }
}
