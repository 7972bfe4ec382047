namespace Strongroom.Core.Identity;

/// <summary>
/// An access key as stored: the secret part only wrapped by the root key, bound (AES-GCM associated data) to the key id
/// and its principal (<see cref="PrincipalId"/> and <see cref="PrincipalArn"/>), and the row protected by <see cref="Mac"/>
/// (see <see cref="IamRecords"/>). Rows written before issue #25 have neither until the upgrade at start.
/// </summary>
public sealed class AccessKeyRecord
{
    /// <summary>
    /// How a session's key row is told apart from a user's, as stored: its <see cref="UserName"/> is "session:" followed by
    /// the session's own access key id (STS sessions, web identity sessions, rotation runs, GetSessionToken). The one
    /// place that knows it: a resolved caller carries a <see cref="PrincipalKind"/> instead (#17, no stringly-typed kinds).
    /// </summary>
    private const string SessionOwnerPrefix = "session:";

    /// <summary>The owner name stored for the key of the session whose access key id is <paramref name="accessKeyId"/>.</summary>
    public static string SessionOwner(string accessKeyId) => SessionOwnerPrefix + accessKeyId;

    /// <summary>Whether <paramref name="userName"/>, an access-key row's stored owner name, is a session's.</summary>
    public static bool IsSessionOwner(string userName)
    {
        ArgumentNullException.ThrowIfNull(userName);
        return userName.StartsWith(SessionOwnerPrefix, StringComparison.Ordinal);
    }

    /// <summary>Whether this row is a session's key (its principal is then told by the session's record).</summary>
    public bool IsSessionKey => IsSessionOwner(UserName);

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
