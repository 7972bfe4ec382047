using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>Key policies: GetKeyPolicy, PutKeyPolicy (with the lockout safety check), ListKeyPolicies.</summary>
public sealed class KmsKeyPolicies
{
    private readonly KmsKeyContext _context;
    private readonly IStoreReader _store;
    private readonly KeyRing _keys;

    internal KmsKeyPolicies(KmsKeyContext context)
    {
        _context = context;
        _store = context.Store;
        _keys = context.Keys;
    }

    public async Task<string> GetKeyPolicyAsync(string region, string keyId, string? policyName, CancellationToken ct)
    {
        var key = await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        RequireDefaultPolicyName(policyName);
        return key.Policy ?? _keys.DefaultKeyPolicy();
    }

    private static void RequireDefaultPolicyName(string? policyName)
    {
        Validate.Length(policyName, "policyName", 1, 128);
        if (policyName is not null && policyName != "default")
        {
            throw Error(ErrorKind.KmsNotFound, "No such policy exists");
        }
    }

    /// <summary>PutKeyPolicy; the lockout safety check as for <see cref="CreateKeyAsync"/>.</summary>
    public async Task PutKeyPolicyAsync(string region, string keyId, string? policyName, string policy, CancellationToken ct, bool bypassLockoutCheck = false, KeyPolicyLockoutCheck? lockoutCheck = null)
    {
        RequireDefaultPolicyName(policyName);
        ValidatePolicy(policy);
        if (!bypassLockoutCheck && lockoutCheck is not null)
        {
            var current = await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
            if (current.Manager == KmsKeyManager.Customer && !await lockoutCheck(current.Arn, policy, ct))
            {
                throw Error(ErrorKind.MalformedPolicyDocument, KmsKeyLifecycle.LockoutMessage);
            }
        }

        await _context.ChangeKeyAsync(region, keyId, async (tx, key) =>
        {
            RequireCustomerManaged(key, "PutKeyPolicy");
            RequireNotPendingDeletion(key);
            key.Policy = policy;
            await tx.UpdateKmsKeyAsync(key, ct);
            return true;
        }, ct);
    }

    /// <summary>A key has exactly one policy, named "default".</summary>
    public async Task<IReadOnlyList<string>> ListKeyPoliciesAsync(string region, string keyId, int? limit, string? marker, CancellationToken ct)
    {
        PageSize(limit, 1000, 100);
        ValidateMarker(marker);
        await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct);
        return marker is null ? ["default"] : [];
    }
}
