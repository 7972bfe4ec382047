using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamIds;

namespace Strongroom.Core.Identity;

/// <summary>IAM users' long-term access keys: create (the secret shown once), list, activate or deactivate, delete; the administrator keeps one active key.</summary>
public sealed class IamAccessKeys
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;
    private readonly ServerIdentity _identity;

    internal IamAccessKeys(IamEntityStore entities)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
        _identity = entities.Identity;
    }

    private DateTimeOffset Now => _entities.Now;

    /// <summary>Creates an access key; returns the record and the secret (shown once, never stored in plaintext).</summary>
    public Task<(AccessKeyRecord Key, string Secret)> CreateAccessKeyAsync(string userName, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var user = await _entities.RequireUserAsync(tx, userName, ct);
        if ((await tx.ListAccessKeysAsync(userName, ct)).Count >= 2)
        {
            throw DomainException.WithCode("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409);
        }

        var id = NewId("AKIA");
        var secretChars = new char[40];
        for (var i = 0; i < secretChars.Length; i++)
        {
            secretChars[i] = SecretAlphabet[RandomNumberGenerator.GetInt32(SecretAlphabet.Length)];
        }

        var secret = new string(secretChars);
        var bytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            var record = await _records.CreateAccessKeyAsync(tx, id, bytes, user.UserId, user.Arn, user.Name, Now, ct);
            return (record, secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }, ct);

    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken ct)
    {
        await _entities.RequireUserAsync(_store, userName, ct);
        return await _records.ListAccessKeysAsync(_store, userName, ct);
    }

    /// <summary>
    /// Activates or deactivates a key of <paramref name="userName"/> (the caller, when the request named no user). A key
    /// of another user is NoSuchEntity and is left alone, as in AWS.
    /// </summary>
    public Task UpdateAccessKeyAsync(string userName, string accessKeyId, string status, CancellationToken ct)
    {
        if (status is not ("Active" or "Inactive"))
        {
            throw Invalid($"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]");
        }

        return _entities.WriteAsync(async tx =>
        {
            var key = await RequireKeyOfAsync(tx, userName, accessKeyId, ct);
            if (status == "Inactive" && key.Status == "Active")
            {
                await KeepAdminKeyAsync(tx, key, ct);
            }

            key.Status = status;
            await _records.PutAccessKeyAsync(tx, key, ct);
            return true;
        }, ct);
    }

    /// <summary>Deletes a key of <paramref name="userName"/> (the caller, when the request named no user); another user's key is NoSuchEntity.</summary>
    public Task DeleteAccessKeyAsync(string userName, string accessKeyId, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var key = await RequireKeyOfAsync(tx, userName, accessKeyId, ct);
        if (key.Status == "Active")
        {
            await KeepAdminKeyAsync(tx, key, ct);
        }

        await tx.DeleteAccessKeyAsync(accessKeyId, ct);
        return true;
    }, ct);

    private async Task<AccessKeyRecord> RequireKeyOfAsync(IStoreReader tx, string userName, string accessKeyId, CancellationToken ct)
    {
        var key = await tx.FindAccessKeyAsync(accessKeyId, ct);
        if (key is null || key.UserName != userName)
        {
            throw NoSuchEntity($"The Access Key with id {accessKeyId} cannot be found.");
        }

        return await _records.FindAccessKeyAsync(tx, accessKeyId, ct) ?? throw NoSuchEntity($"The Access Key with id {accessKeyId} cannot be found.");
    }

    /// <summary>The administrator keeps at least one active key: losing the last one would lock it out of the API.</summary>
    private async Task KeepAdminKeyAsync(IStoreTransaction tx, AccessKeyRecord key, CancellationToken ct)
    {
        if (_identity.AdminUserId is not { } admin || key.PrincipalId != admin)
        {
            return;
        }

        var others = (await _records.ListAccessKeysAsync(tx, key.UserName, ct)).Count(k => k.AccessKeyId != key.AccessKeyId && k.Status == "Active");
        if (others == 0)
        {
            throw Conflict("The administrator's last active access key cannot be deactivated or deleted: create another one first (or use 'strongroom admin import-access-key').");
        }
    }

    /// <summary>True when a row for <paramref name="accessKeyId"/> is stored at all (valid or not, active or not).</summary>
    public async Task<bool> AccessKeyStoredAsync(string accessKeyId, CancellationToken ct) => await _store.FindAccessKeyAsync(accessKeyId, ct) is not null;

    /// <summary>The verified access key <paramref name="accessKeyId"/>, or null.</summary>
    public Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken ct) => _records.FindAccessKeyAsync(_store, accessKeyId, ct);
}
