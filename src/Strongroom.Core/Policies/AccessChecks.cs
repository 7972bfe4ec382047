using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Policies;

/// <summary>
/// Builds the access checks that more than one door shares, so that an indirect path asks exactly what the direct
/// call asks: reading a secret (GetSecretValue, BatchGetSecretValue's items, SSM's /aws/reference/secretsmanager/
/// parameters), using a KMS key on the caller's behalf (Secrets Manager's and SSM's kms:Decrypt), and an action on a
/// secret with its condition keys. Thread-safe.
/// </summary>
public sealed class AccessChecks
{
    private readonly IStoreReader _store;
    private readonly KeyRing _keys;
    private readonly ServerIdentity _identity;

    public AccessChecks(IStoreReader store, KeyRing keys, ServerIdentity identity)
    {
        _store = store;
        _keys = keys;
        _identity = identity;
    }

    /// <summary>The secret a SecretId names: its ARN (or the ARN the id would have), the record when it exists, and its condition keys.</summary>
    public sealed record SecretTarget(string Arn, SecretRecord? Secret, IReadOnlyDictionary<string, IReadOnlyList<string>> Keys, string Shown);

    /// <summary>
    /// Resolves <paramref name="secretId"/> (name, ARN or partial ARN) once and gives the keys every Secrets Manager check
    /// of it carries: secretsmanager:SecretId, secretsmanager:Name, the tags as secretsmanager:ResourceTag/… and
    /// aws:ResourceTag/…, and secretsmanager:KmsKeyId. <see cref="SecretTarget.Shown"/> is what a denial names.
    /// </summary>
    /// <param name="resolution">The call's resolution of its SecretId (<see cref="SecretResolution"/>), used — and filled — when it is of this SecretId.</param>
    public Task<SecretTarget> SecretAsync(string region, string secretId, CancellationToken ct, SecretResolution? resolution = null) =>
        SecretAsync(_store, _identity.AccountId, region, secretId, ct, resolution);

    /// <summary>
    /// <see cref="SecretAsync(string, string, CancellationToken, SecretResolution?)"/> over any store reader: what `strongroom explain` uses,
    /// so that it resolves a SecretId exactly as the operation does.
    /// </summary>
    public static async Task<SecretTarget> SecretAsync(IStoreReader store, string accountId, string region, string secretId, CancellationToken ct, SecretResolution? resolution = null)
    {
        ArgumentNullException.ThrowIfNull(secretId);
        var shown = secretId.StartsWith("arn:", StringComparison.Ordinal) ? secretId : $"arn:aws:secretsmanager:{region}:{accountId}:secret:{secretId}";
        var secret = resolution is not null && resolution.IsFor(region, secretId) ? await resolution.FindAsync(store, ct)
            : secretId.Length == 0 ? null : await SecretLookup.FindAsync(store, region, secretId, ct);
        var arn = secret?.Arn ?? shown;
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["secretsmanager:SecretId"] = [arn] };
        if (secret is not null)
        {
            keys["secretsmanager:Name"] = [secret.Name];
            foreach (var tag in secret.Tags)
            {
                keys["secretsmanager:ResourceTag/" + tag.Key] = [tag.Value];
                keys["aws:ResourceTag/" + tag.Key] = [tag.Value];
            }

            if (secret.KmsKeyId is not null)
            {
                keys["secretsmanager:KmsKeyId"] = [secret.KmsKeyId];
            }
        }

        return new SecretTarget(arn, secret, keys, shown);
    }

    /// <summary><paramref name="action"/> on the secret, with its keys and its resource policy.</summary>
    public async Task<AccessCheck> SecretActionAsync(string region, string action, string secretId, CancellationToken ct)
    {
        var target = await SecretAsync(region, secretId, ct);
        return new AccessCheck(action, target.Arn, target.Secret?.ResourcePolicy, false, target.Keys, target.Shown);
    }

    /// <summary>
    /// What reading a secret's value asks, through any door: secretsmanager:GetSecretValue with the stage and version
    /// keys (no VersionId and no VersionStage reads AWSCURRENT), and kms:Decrypt on the secret's key through Secrets
    /// Manager — a customer key by its key policy and IAM, the AWS managed key by its own policy (which lets the
    /// account's principals use it through Secrets Manager), an explicit Deny counting in both.
    /// </summary>
    /// <param name="resolution">The call's resolution of its SecretId: the secret and the version read are looked up
    /// through it, so that GetSecretValue then opens them without asking the store again.</param>
    public async Task<IReadOnlyList<AccessCheck>> ReadSecretAsync(string region, string secretId, string? versionId, string? versionStage, CancellationToken ct, SecretResolution? resolution = null)
    {
        if (resolution is not null && !resolution.IsFor(region, secretId))
        {
            resolution = null;
        }

        var target = await SecretAsync(region, secretId, ct, resolution);
        var keys = new Dictionary<string, IReadOnlyList<string>>(target.Keys, StringComparer.OrdinalIgnoreCase)
        {
            ["secretsmanager:VersionStage"] = [versionStage ?? (versionId is null ? StagingLabels.Current : string.Empty)],
        };
        if (versionId is not null)
        {
            keys["secretsmanager:VersionId"] = [versionId];
        }

        var checks = new List<AccessCheck> { new("secretsmanager:GetSecretValue", target.Arn, target.Secret?.ResourcePolicy, false, keys, target.Shown) };
        if (target.Secret is { } secret)
        {
            // The key that wrapped the version read, which need not be the secret's key now (a version the last key
            // change left behind stays under the old one); else the secret's key.
            var version = resolution is not null ? await resolution.FindVersionAsync(_store, secret, versionId, versionStage, ct)
                : versionId is not null ? await _store.FindVersionByIdAsync(secret.Id, versionId, ct)
                : await _store.FindVersionByStageAsync(secret.Id, versionStage ?? StagingLabels.Current, ct);
            if (await KeyOfSecretAsync(secret, version?.KmsKeyArn, ct) is { } key)
            {
                checks.Add(KeyUse(key, "kms:Decrypt", $"secretsmanager.{region}.amazonaws.com", SecretContext(secret)));
            }
        }

        return checks;
    }

    /// <summary>
    /// What a Secrets Manager write asks of KMS, as AWS does: kms:GenerateDataKey on the key a new value is encrypted
    /// under (the request's KmsKeyId, else the secret's, else the AWS managed key) when the call writes a value; and
    /// when it moves the secret to another key (UpdateSecret with KmsKeyId), kms:Decrypt on every key its labelled
    /// versions are under now — they are re-encrypted under the new key, which must not let a caller who cannot
    /// decrypt them move them to a key it can.
    /// </summary>
    public async Task<IReadOnlyList<AccessCheck>> WriteSecretKeysAsync(string region, SecretRecord? secret, string? requestedKeyId, bool writesValue, CancellationToken ct)
    {
        var checks = new List<AccessCheck>();
        var via = $"secretsmanager.{region}.amazonaws.com";
        var keyId = requestedKeyId is { Length: > 0 } ? requestedKeyId : requestedKeyId is null ? secret?.KmsKeyId : null;
        var newKey = await _keys.FindAsync(_store, region, string.IsNullOrEmpty(keyId) ? KeyRing.SecretsManagerAlias : keyId, allowAlias: true, ct);
        var context = secret is null ? new Dictionary<string, string>(StringComparer.Ordinal) : SecretContext(secret);
        if (newKey is not null && (writesValue || (secret is not null && requestedKeyId is not null)))
        {
            checks.Add(KeyUse(newKey, "kms:GenerateDataKey", via, context));
        }

        if (secret is not null && requestedKeyId is not null)
        {
            var arns = (await _store.ListVersionsAsync(secret.Id, ct))
                .Where(v => v.Envelope is not null && v.Stages.Any(s => s is StagingLabels.Current or "AWSPREVIOUS" or "AWSPENDING") && v.KmsKeyArn != newKey?.Arn)
                .Select(v => v.KmsKeyArn)
                .Distinct(StringComparer.Ordinal);
            foreach (var arn in arns)
            {
                if (await KeyOfSecretAsync(secret, arn, ct) is { } old)
                {
                    checks.Add(KeyUse(old, "kms:Decrypt", via, context));
                }
            }
        }

        return checks;
    }

    private static Dictionary<string, string> SecretContext(SecretRecord secret) => new(StringComparer.Ordinal) { ["SecretARN"] = secret.Arn };

    /// <summary>The key behind <paramref name="keyArn"/> (a version's), else the secret's own key, else the AWS managed key.</summary>
    private async Task<KmsKeyRecord?> KeyOfSecretAsync(SecretRecord secret, string? keyArn, CancellationToken ct) =>
        (keyArn is null ? null : await _keys.FindAsync(_store, secret.Region, keyArn, allowAlias: false, ct))
        ?? await _keys.FindAsync(_store, secret.Region, string.IsNullOrEmpty(secret.KmsKeyId) ? KeyRing.SecretsManagerAlias : secret.KmsKeyId, allowAlias: true, ct);

    /// <summary><paramref name="action"/> on <paramref name="key"/> made by <paramref name="viaService"/> for the caller: kms:ViaService and the encryption context as keys, the key policy deciding with IAM.</summary>
    public AccessCheck KeyUse(KmsKeyRecord key, string action, string viaService, IReadOnlyDictionary<string, string> encryptionContext)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(encryptionContext);
        var keys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["kms:ViaService"] = [viaService] };
        foreach (var (name, value) in encryptionContext)
        {
            keys["kms:EncryptionContext:" + name] = [value];
        }

        keys["kms:EncryptionContextKeys"] = encryptionContext.Keys.ToList();
        return new AccessCheck(action, key.Arn, KeyPolicyOf(key), true, keys);
    }

    /// <summary>The policy that governs a key: its own, or the default a key of its kind gets when none is stored.</summary>
    public string KeyPolicyOf(KmsKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Policy is not null)
        {
            return key.Policy;
        }

        return key.Manager == KmsKeyManager.Aws ? _keys.ManagedKeyPolicy(key.Region, "secretsmanager") : _keys.DefaultKeyPolicy();
    }
}
