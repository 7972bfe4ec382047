namespace Strongroom.Core.Identity;

/// <summary>An access key as stored: the secret part only wrapped by the root key.</summary>
public sealed class AccessKeyRecord
{
    public required string AccessKeyId { get; init; }

    public required byte[] WrappedSecret { get; init; }

    public required string PrincipalArn { get; init; }

    public required string UserName { get; init; }

    /// <summary>Active or Inactive.</summary>
    public required string Status { get; set; }

    public DateTimeOffset CreatedDate { get; init; }
}
