namespace Strongroom.Core.Identity;

/// <summary>
/// An access key as stored: the secret part only wrapped by the root key, bound (AES-GCM associated data) to the key id
/// and its principal (<see cref="PrincipalId"/> and <see cref="PrincipalArn"/>), and the row protected by <see cref="Mac"/>
/// (see <see cref="IamRecords"/>). Rows written before issue #25 have neither until the upgrade at start.
/// </summary>
public sealed class AccessKeyRecord
{
    public required string AccessKeyId { get; init; }

    public required byte[] WrappedSecret { get; init; }

    public required string PrincipalArn { get; init; }

    public required string UserName { get; init; }

    /// <summary>Active or Inactive.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedDate { get; init; }

    /// <summary>The unique id of the key's principal: the user's UserId (AIDA…), or for session keys the role's RoleId (AROA…).</summary>
    public string? PrincipalId { get; init; }

    /// <summary>The row's integrity tag (<see cref="Crypto.RecordMac"/> over <see cref="IamRecords.AccessKeyContent"/>).</summary>
    public byte[]? Mac { get; set; }
}
