using Strongroom.Core.Identity;

namespace Strongroom.Protocol.Aws.Auth;

/// <summary>Looks up the secret half of an access key. Implementations are thread-safe.</summary>
public interface ICredentialSource
{
    /// <summary>
    /// The principal and secret for <paramref name="accessKeyId"/>, or null when the key is unknown or inactive.
    /// In dev mode an implementation may accept any key; it then returns a null secret and the signature is
    /// parsed but not checked.
    /// </summary>
    ValueTask<ResolvedCredential?> ResolveAsync(string accessKeyId, CancellationToken cancellationToken);
}

/// <param name="SessionTokenHash">For temporary credentials: the SHA-256 (hex) of the session token the request must carry.</param>
/// <param name="Expiration">For temporary credentials: when they stop working.</param>
/// <param name="PrincipalId">The principal's unique id (see <see cref="CallerIdentity.PrincipalId"/>).</param>
/// <param name="Kind">What kind of principal the key was issued to (see <see cref="CallerIdentity.Kind"/>).</param>
public sealed record ResolvedCredential(string PrincipalArn, string UserName, byte[]? SecretAccessKey, string? SessionTokenHash = null, DateTimeOffset? Expiration = null, string? PrincipalId = null, PrincipalKind Kind = PrincipalKind.User);
