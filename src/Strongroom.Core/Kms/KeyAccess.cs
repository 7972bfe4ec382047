using Strongroom.Core.Policies;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Kms;

/// <summary>
/// What a KMS call asks permission for, as AWS KMS decides it: the action (kms:Operation) on the key's ARN, decided by
/// its key policy with IAM (a missing key by IAM alone: the call then answers NotFound); the encryption context as
/// kms:EncryptionContext:… and kms:EncryptionContextKeys; Decrypt and ReEncrypt on the key the ciphertext names
/// (whatever the request claims); an alias operation on the alias and on every key it touches. Thread-safe.
/// </summary>
public sealed class KeyAccess : IServiceAccess
{
    private readonly IKmsKeyReader _store;
    private readonly KeyRing _keys;
    private readonly AccessChecks _checks;
    private readonly ServerIdentity _identity;

    public KeyAccess(IKmsKeyReader store, KeyRing keys, AccessChecks checks, ServerIdentity identity)
    {
        _store = store;
        _keys = keys;
        _checks = checks;
        _identity = identity;
    }

    /// <inheritdoc/>
    public string SigningName => "kms";

    /// <inheritdoc/>
    Task<IReadOnlyList<AccessCheck>> IServiceAccess.ChecksAsync(ServiceCall call, CancellationToken ct) => ChecksAsync(call.Caller.Region, call.Operation, call.Input, ct);

    /// <summary>The checks of <paramref name="operation"/>, in order; every one must allow.</summary>
    public async Task<IReadOnlyList<AccessCheck>> ChecksAsync(string region, string operation, IAccessInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = "kms:" + operation;
        switch (operation)
        {
            case "CreateKey" or "ListKeys" or "GenerateRandom" or "ListAliases" when input.String("KeyId") is null:
                return [new AccessCheck(action, "*", null, false, NoKeys())];

            case "Decrypt":
                // The key that made the blob decides, whatever KeyId says (a KeyId of another key then fails as IncorrectKeyException).
                return [await KeyCheckAsync(action, region, BlobKeyId(input) ?? input.String("KeyId"), ContextKeys(input, "EncryptionContext"), ct)];

            case "ReEncrypt":
                // AWS: kms:ReEncryptFrom on the source key — the one the blob names, not SourceKeyId — and kms:ReEncryptTo on the destination.
                return
                [
                    await KeyCheckAsync("kms:ReEncryptFrom", region, BlobKeyId(input) ?? input.String("SourceKeyId"), ContextKeys(input, "SourceEncryptionContext"), ct),
                    await KeyCheckAsync("kms:ReEncryptTo", region, input.String("DestinationKeyId"), ContextKeys(input, "DestinationEncryptionContext"), ct),
                ];

            case "CreateAlias" or "UpdateAlias" or "DeleteAlias":
                // AWS: the action on the alias (IAM policies only: aliases have no policy), and on every key it touches —
                // the new target, and for Update/Delete the key the alias points at now.
                var checks = new List<AccessCheck>();
                var aliasName = input.String("AliasName") ?? string.Empty;
                checks.Add(new AccessCheck(action, aliasName.StartsWith("arn:", StringComparison.Ordinal) ? aliasName : _keys.AliasArn(region, aliasName), null, false, NoKeys()));
                if (operation != "DeleteAlias")
                {
                    checks.Add(await KeyCheckAsync(action, region, input.String("TargetKeyId"), NoKeys(), ct));
                }

                if (operation != "CreateAlias" && aliasName.StartsWith("alias/", StringComparison.Ordinal)
                    && await _keys.FindAsync(_store, region, aliasName, allowAlias: true, ct) is { } current)
                {
                    checks.Add(new AccessCheck(action, current.Arn, _checks.KeyPolicyOf(current), true, NoKeys()));
                }

                return checks;

            default:
                return [await KeyCheckAsync(action, region, input.String("KeyId") ?? input.String("TargetKeyId"), ContextKeys(input, "EncryptionContext"), ct)];
        }
    }

    private static Dictionary<string, IReadOnlyList<string>> NoKeys() => new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The encryption context member <paramref name="member"/> as kms:EncryptionContext:… and kms:EncryptionContextKeys.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ContextKeys(IAccessInput input, string member)
    {
        var keys = NoKeys();
        if (input.Map(member) is { } context)
        {
            foreach (var (name, value) in context)
            {
                keys["kms:EncryptionContext:" + name] = [value];
            }

            keys["kms:EncryptionContextKeys"] = context.Select(p => p.Key).ToList();
        }

        return keys;
    }

    /// <summary>The key id a ciphertext blob names in its header (whatever the request claims), or null.</summary>
    private static string? BlobKeyId(IAccessInput input)
    {
        if (input.String("CiphertextBlob") is not { } blob)
        {
            return null;
        }

        try
        {
            return KmsCiphertextBlob.ReadHeader(Convert.FromBase64String(blob)).KeyId.ToString();
        }
        catch (Exception e) when (e is FormatException or CryptoFailureException)
        {
            return null;
        }
    }

    /// <summary><paramref name="action"/> on the key <paramref name="identifier"/> names, decided with its key policy; a missing key is checked by IAM alone (the call then answers NotFound).</summary>
    private async Task<AccessCheck> KeyCheckAsync(string action, string region, string? identifier, Dictionary<string, IReadOnlyList<string>> keys, CancellationToken ct)
    {
        var key = identifier is null ? null : await _keys.FindAsync(_store, region, identifier, allowAlias: true, ct);
        if (key is not null)
        {
            return new AccessCheck(action, key.Arn, _checks.KeyPolicyOf(key), true, keys);
        }

        var resource = identifier is null ? "*" : identifier.StartsWith("arn:", StringComparison.Ordinal) ? identifier : $"arn:aws:kms:{region}:{_identity.AccountId}:key/{identifier}";
        return new AccessCheck(action, resource, null, true, keys);
    }
}
