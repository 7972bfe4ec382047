namespace Strongroom.Core.Secrets;

public sealed class ReplicaStatus
{
    public required string Region { get; set; }

    public string? KmsKeyId { get; set; }

    /// <summary>InSync, Failed or InProgress.</summary>
    public required string Status { get; set; }

    public string? StatusMessage { get; set; }

    public DateTimeOffset? LastAccessedDate { get; set; }

    public ReplicaStatus Copy() => (ReplicaStatus)MemberwiseClone();
}
