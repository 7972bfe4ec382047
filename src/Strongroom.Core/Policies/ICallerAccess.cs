using Strongroom.Core.Kms;

namespace Strongroom.Core.Policies;

/// <summary>
/// The caller's access, for what a use case reaches only while it runs — each secret of a batch, the KMS key under a
/// parameter's version, the secret behind an /aws/reference/secretsmanager/ parameter, the secret of a rotation run.
/// Each question is answered exactly as the direct call would be (the same checks, built by <see cref="AccessChecks"/>,
/// with the same request context: source IP, transport, principal tags). Implemented by the host for one call;
/// <see cref="Unrestricted"/> for the administrator. Every method answers null when allowed, else AWS's denial text,
/// which never says whether the resource exists. Thread-safe.
/// </summary>
public interface ICallerAccess
{
    /// <summary>secretsmanager:GetSecretValue on the secret (with its tags, stage and version keys) and kms:Decrypt on its key.</summary>
    Task<string?> SecretReadDeniedAsync(string region, string secretId, string? versionId, string? versionStage, CancellationToken ct);

    /// <summary><paramref name="action"/> (kms:Decrypt, …) on <paramref name="key"/>, used by <paramref name="viaService"/> on the caller's behalf.</summary>
    Task<string?> KeyUseDeniedAsync(KmsKeyRecord key, string action, string viaService, IReadOnlyDictionary<string, string> encryptionContext, CancellationToken ct);

    /// <summary><paramref name="action"/> on the secret <paramref name="secretId"/> names (with its tags as condition keys).</summary>
    Task<string?> SecretActionDeniedAsync(string region, string action, string secretId, CancellationToken ct);

    /// <summary>
    /// KMS's policy lockout safety check: whether the caller could still change the key policy of <paramref name="keyArn"/>
    /// if it were <paramref name="policy"/>. Passed to <see cref="Kms.KmsService"/> by CreateKey and PutKeyPolicy.
    /// </summary>
    Task<bool> MayStillChangeKeyPolicyAsync(string keyArn, string policy, CancellationToken ct);

    /// <summary>No check: the administrator, and the service acting for itself.</summary>
    static ICallerAccess Unrestricted { get; } = new UnrestrictedAccess();

    private sealed class UnrestrictedAccess : ICallerAccess
    {
        public Task<string?> SecretReadDeniedAsync(string region, string secretId, string? versionId, string? versionStage, CancellationToken ct) => Task.FromResult<string?>(null);

        public Task<string?> KeyUseDeniedAsync(KmsKeyRecord key, string action, string viaService, IReadOnlyDictionary<string, string> encryptionContext, CancellationToken ct) => Task.FromResult<string?>(null);

        public Task<string?> SecretActionDeniedAsync(string region, string action, string secretId, CancellationToken ct) => Task.FromResult<string?>(null);

        public Task<bool> MayStillChangeKeyPolicyAsync(string keyArn, string policy, CancellationToken ct) => Task.FromResult(true);
    }
}
