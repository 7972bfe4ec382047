using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Kms.KmsRules;

namespace Strongroom.Core.Kms;

/// <summary>KMS aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.</summary>
public sealed class KmsAliases
{
    private readonly KmsKeyContext _context;
    private readonly IStore _store;
    private readonly KeyRing _keys;

    internal KmsAliases(KmsKeyContext context)
    {
        _context = context;
        _store = context.Store;
        _keys = context.Keys;
    }

    private static void ValidateAliasName(string aliasName, bool creating)
    {
        Validate.Length(aliasName, "aliasName", 1, 256);
        if (!aliasName.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '/' or '_' or '-'))
        {
            throw DomainException.Constraint("aliasName", aliasName, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
        }

        if (!aliasName.StartsWith("alias/", StringComparison.Ordinal) || aliasName.Length == "alias/".Length)
        {
            throw Error(ErrorKind.InvalidAliasName, "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
        }

        if (aliasName.StartsWith("alias/aws/", StringComparison.Ordinal))
        {
            throw Error(ErrorKind.InvalidAliasName, creating ? "Cannot create alias with prefix 'alias/aws/'" : "Cannot change or delete an alias with prefix 'alias/aws/': it belongs to an AWS managed key.");
        }
    }

    public async Task CreateAliasAsync(string region, string aliasName, string targetKeyId, CancellationToken ct)
    {
        ValidateAliasName(aliasName, creating: true);
        await _store.WriteAsync(async tx =>
        {
            var key = await _context.RequireKeyAsync(tx, region, targetKeyId, allowAlias: false, ct);
            RequireCustomerManaged(key, "CreateAlias");
            RequireNotPendingDeletion(key);
            if (await tx.FindKmsAliasAsync(region, aliasName, ct) is not null)
            {
                throw Error(ErrorKind.AlreadyExists, $"An alias with the name {_keys.AliasArn(region, aliasName)} already exists");
            }

            if ((await tx.ListKmsAliasesAsync(region, key.KeyId, null, 51, ct)).Count >= 50)
            {
                throw Error(ErrorKind.LimitExceeded, $"A key can have at most 50 aliases: {key.Arn} has 50.");
            }

            await tx.InsertKmsAliasAsync(region, aliasName, key.KeyId, _context.Now, ct);
            return true;
        }, ct);
    }

    public async Task UpdateAliasAsync(string region, string aliasName, string targetKeyId, CancellationToken ct)
    {
        ValidateAliasName(aliasName, creating: false);
        await _store.WriteAsync(async tx =>
        {
            if (await tx.FindKmsAliasAsync(region, aliasName, ct) is null)
            {
                throw Error(ErrorKind.KmsNotFound, $"Alias {_keys.AliasArn(region, aliasName)} is not found.");
            }

            var key = await _context.RequireKeyAsync(tx, region, targetKeyId, allowAlias: false, ct);
            RequireCustomerManaged(key, "UpdateAlias");
            RequireNotPendingDeletion(key);
            await tx.UpdateKmsAliasAsync(region, aliasName, key.KeyId, _context.Now, ct);
            return true;
        }, ct);
    }

    public async Task DeleteAliasAsync(string region, string aliasName, CancellationToken ct)
    {
        ValidateAliasName(aliasName, creating: false);
        await _store.WriteAsync(async tx =>
        {
            if (await tx.FindKmsAliasAsync(region, aliasName, ct) is null)
            {
                throw Error(ErrorKind.KmsNotFound, $"Alias {_keys.AliasArn(region, aliasName)} is not found.");
            }

            await tx.DeleteKmsAliasAsync(region, aliasName, ct);
            return true;
        }, ct);
    }

    public async Task<KmsPage<KmsAlias>> ListAliasesAsync(string region, string? keyId, int? limit, string? marker, CancellationToken ct)
    {
        var size = PageSize(limit, 100, 50);
        ValidateMarker(marker);
        if (marker is not null && !marker.StartsWith("alias/", StringComparison.Ordinal))
        {
            throw Error(ErrorKind.InvalidMarker, "Invalid marker");
        }

        Guid? filter = null;
        if (keyId is not null)
        {
            filter = (await _context.RequireKeyAsync(_store, region, keyId, allowAlias: false, ct)).KeyId;
        }

        var aliases = await _store.ListKmsAliasesAsync(region, filter, marker, size + 1, ct);
        var page = aliases.Take(size).ToList();
        return new KmsPage<KmsAlias>(page, aliases.Count > size ? page[^1].AliasName : null);
    }
}
