using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;
using Strongroom.Core.Policies;

namespace Strongroom.Core.Secrets;

/// <summary>
/// A secret's resource policy: put (with BlockPublicPolicy), get, delete, validate.
/// </summary>
public sealed class SecretPolicies
{
    private readonly IStore _store;
    private readonly SecretReplication _replication;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;

    internal SecretPolicies(IStore store, SecretReplication replication, ServerIdentity identity, TimeProvider time)
    {
        _store = store;
        _replication = replication;
        _identity = identity;
        _time = time;
    }

    public async Task<SecretRecord> PutResourcePolicyAsync(string region, string secretId, string policy, bool blockPublicPolicy, CancellationToken ct)
    {
        Validate.Length(policy, "resourcePolicy", 1, 20480);
        if (ResourcePolicyCheck.SyntaxErrors(policy).Count > 0)
        {
            throw new DomainException(ErrorKind.MalformedPolicyDocument, "This resource policy contains a syntax error.");
        }

        if (blockPublicPolicy && ResourcePolicyCheck.IsPublic(policy, _identity.AccountId))
        {
            throw new DomainException(ErrorKind.PublicPolicy, "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.");
        }

        return await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            secret.ResourcePolicy = policy;
            secret.LastChangedDate = _time.NowMillis();
            await tx.UpdateSecretAsync(secret, ct);
            await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
            return secret;
        }, ct);
    }

    public async Task<SecretRecord> GetResourcePolicyAsync(string region, string secretId, CancellationToken ct) =>
        await SecretLookup.RequireAsync(_store, region, secretId, ct);

    public async Task<SecretRecord> DeleteResourcePolicyAsync(string region, string secretId, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            if (secret.ResourcePolicy is not null)
            {
                secret.ResourcePolicy = null;
                secret.LastChangedDate = _time.NowMillis();
                await tx.UpdateSecretAsync(secret, ct);
                await _replication.SyncReplicasAsync(tx, secret, force: false, ct);
            }

            return secret;
        }, ct);
    }

    public async Task<PolicyValidationResult> ValidateResourcePolicyAsync(string region, string? secretId, string policy, CancellationToken ct)
    {
        Validate.Length(policy, "resourcePolicy", 1, 20480);
        if (secretId is not null)
        {
            await SecretLookup.RequireAsync(_store, region, secretId, ct);
        }

        if (!ResourcePolicyCheck.IsJson(policy))
        {
            throw new DomainException(ErrorKind.MalformedPolicyDocument, "This resource policy contains a syntax error.");
        }

        var errors = ResourcePolicyCheck.SyntaxErrors(policy).Select(e => ("SYNTAX_CHECK", e)).ToList();
        if (errors.Count == 0)
        {
            try
            {
                // The same parser the access-control engine uses, so a policy that validates is one it can enforce.
                Policies.PolicyDocument.Parse(policy, requirePrincipal: true);
            }
            catch (Policies.PolicySyntaxException e)
            {
                errors.Add(("SYNTAX_CHECK", $"{e.Message} (line {e.Line}, column {e.Column})"));
            }
        }
        else
        {
            try
            {
                Policies.PolicyDocument.Parse(policy, requirePrincipal: true);
            }
            catch (Policies.PolicySyntaxException e)
            {
                errors[0] = ("SYNTAX_CHECK", $"{errors[0].e} (line {e.Line}, column {e.Column})");
            }
        }
        if (errors.Count == 0 && ResourcePolicyCheck.IsPublic(policy, _identity.AccountId))
        {
            errors.Add(("PUBLIC_POLICY_CHECK", "The resource policy grants broad access to the secret: a wildcard Principal without a Condition that narrows the caller to this account."));
        }

        return new PolicyValidationResult(errors.Count == 0, errors);
    }
}
