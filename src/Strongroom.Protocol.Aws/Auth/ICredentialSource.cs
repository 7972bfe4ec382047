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

public sealed record ResolvedCredential(string PrincipalArn, string UserName, byte[]? SecretAccessKey);
