using Strongroom.Core.Errors;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Secrets;

/// <summary>
/// Secret resolution: how every operation turns a SecretId (name, full ARN or partial ARN) into the secret,
/// and the checks shared by every write (not marked for deletion, not a replica).
/// </summary>
public static class SecretLookup
{
    /// <summary>Finds a secret by name, full ARN or partial ARN, in <paramref name="region"/>.</summary>
    public static async Task<SecretRecord?> FindAsync(ISecretReader reader, string region, string secretId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (!secretId.StartsWith("arn:", StringComparison.Ordinal))
        {
            return await reader.FindSecretByNameAsync(region, secretId, ct);
        }

        var parts = secretId.Split(':', 7);
        if (parts.Length != 7 || parts[2] != "secretsmanager" || parts[3] != region || parts[5] != "secret")
        {
            return null;
        }

        var exact = await reader.FindSecretByArnAsync(secretId, ct);
        if (exact is not null)
        {
            return exact;
        }

        var partial = await reader.FindSecretsByPartialArnAsync(secretId, ct);
        return partial.Count == 1 ? partial[0] : null;
    }

    /// <param name="resolution">The call's resolution (<see cref="SecretResolution"/>): when it is of this SecretId, the
    /// secret the access decision resolved is used instead of a second lookup.</param>
    internal static async Task<SecretRecord> RequireAsync(IStoreReader reader, string region, string secretId, CancellationToken ct, SecretResolution? resolution = null)
    {
        Validate.SecretId(secretId);
        var secret = resolution is not null && resolution.IsFor(region, secretId) ? await resolution.FindAsync(reader, ct) : await FindAsync(reader, region, secretId, ct);
        return secret ?? throw DomainException.SecretNotFound();
    }

    internal static async Task<SecretRecord> RequireWritableAsync(IStoreReader reader, string region, string secretId, CancellationToken ct)
    {
        var secret = await RequireAsync(reader, region, secretId, ct);
        if (secret.DeletedDate is not null)
        {
            throw DomainException.MarkedForDeletion();
        }

        if (secret.IsReplica)
        {
            throw ReplicaNotPermitted();
        }

        return secret;
    }

    /// <summary>AWS's answer to a write (or a delete or restore) sent to a replica's region.</summary>
    internal static DomainException ReplicaNotPermitted() =>
        DomainException.InvalidParameter("Operation not permitted on a replica secret. Call must be made in primary secret's region.");
}
