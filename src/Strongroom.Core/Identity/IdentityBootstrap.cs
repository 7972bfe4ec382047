using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Identity;

/// <summary>
/// Runs every time a data directory is opened with its root key, in one write transaction (nodes opening one database
/// at once agree). On a store that has it, reads the administrator's record (ADR 0009): the unique id of the stored IAM
/// user "admin", wrapped by the root key, so that no API call and no database edit can make another principal the
/// administrator. On a new store, or one written before issue #25, creates that user and record and upgrades every
/// IAM and access-key row to the protected form (ADR 0010): access-key secrets re-wrapped under their principal's
/// binding, every row tagged. A store whose rows are already tagged but whose record is gone was tampered with: refused.
/// </summary>
public static class IdentityBootstrap
{
    /// <summary>The root-wrapped value (binding "named:admin-principal") holding the administrator's UserId.</summary>
    public const string AdminRecord = "admin-principal";

    /// <summary>A plain copy of the administrator's UserId for tools that run without the root key; never trusted for access.</summary>
    public const string AdminUserIdSetting = "admin_user_id";

    /// <summary>The store's first admin access key (written by the data directory at initialisation).</summary>
    public const string AdminAccessKeySetting = "admin_access_key_id";

    private static readonly JsonSerializerOptions Json = new();

    /// <summary>What the bootstrap found or did.</summary>
    /// <param name="Notes">What an operator should know (an upgrade, a repair): for the log, never secret.</param>
    public sealed record Result(string AdminUserId, bool Upgraded, IReadOnlyList<string> Notes);

    public static string AdminArn(string accountId) => $"arn:aws:iam::{accountId}:user/{IamService.AdminUserName}";

    /// <exception cref="InvalidOperationException">when the store was tampered with in a way that cannot be repaired (the message says what).</exception>
    public static Task<Result> RunAsync(IUnitOfWork store, RootWrap root, string accountId, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        return store.WriteAsync(tx => RunAsync(tx, root, accountId, DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds()), ct), ct);
    }

    private static async Task<Result> RunAsync(IStoreTransaction tx, RootWrap root, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        var records = new IamRecords(root);
        if (await tx.GetRootWrappedAsync(AdminRecord, ct) is { } wrapped)
        {
            return await LoadAsync(tx, root, records, wrapped, accountId, now, ct);
        }

        var rows = await tx.ListIamEntitiesAsync(null, ct);
        var keys = await tx.ListAllAccessKeysAsync(ct);
        if (rows.Any(r => r.Mac is not null) || keys.Any(k => k.Mac is not null || k.PrincipalId is not null))
        {
            throw new InvalidOperationException(
                $"the administrator's record (root-wrapped value '{AdminRecord}') is missing from a store whose IAM rows are protected: the database was changed without the root key. Restore it from a backup.");
        }

        return await UpgradeAsync(tx, root, records, rows, keys, accountId, now, ct);
    }

    private static async Task<Result> LoadAsync(IStoreTransaction tx, RootWrap root, IamRecords records, byte[] wrapped, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        string adminId;
        try
        {
            var plaintext = await root.UnwrapAsync(tx, wrapped, "named:" + AdminRecord, ct);
            adminId = Encoding.UTF8.GetString(plaintext);
        }
        catch (CryptoFailureException)
        {
            root.ReportIntegrityFailure("root_wrapped", AdminRecord);
            throw new InvalidOperationException($"the administrator's record (root-wrapped value '{AdminRecord}') does not unwrap under the root key: the database was changed without it. Restore it from a backup.");
        }

        // The record decides who the administrator is; its user row must say the same. One missing or altered is put back.
        var notes = new List<string>();
        var row = await tx.FindIamEntityAsync(IamService.User, IamService.AdminUserName, ct);
        var valid = row is not null && await root.VerifyAsync(tx, IamRecords.EntityContent(row.Kind, row.Name, row.Json), row.Mac, ct)
            && JsonSerializer.Deserialize<IamUser>(row.Json, Json)?.UserId == adminId;
        if (!valid)
        {
            if (row is not null)
            {
                root.ReportIntegrityFailure(IamRecords.EntityTable, "user/" + IamService.AdminUserName);
            }

            await PutAsync(records, tx, IamService.User, IamService.AdminUserName, NewAdmin(adminId, accountId, now), ct);
            notes.Add("the administrator's user record was missing or failed its integrity check: written again from the administrator's record");
        }

        return new Result(adminId, false, notes);
    }

    private static IamUser NewAdmin(string userId, string accountId, DateTimeOffset now) =>
        new() { Name = IamService.AdminUserName, Path = "/", Arn = AdminArn(accountId), UserId = userId, CreateDate = now };

    private static Task PutAsync(IamRecords records, IStoreTransaction tx, IamEntityKind kind, string name, object entity, CancellationToken ct) =>
        records.PutAsync(tx, kind, name, JsonSerializer.Serialize(entity, entity.GetType(), Json), ct);

    private static async Task<Result> UpgradeAsync(IStoreTransaction tx, RootWrap root, IamRecords records, IReadOnlyList<IamEntityRow> rows, IReadOnlyList<AccessKeyRecord> keys, string accountId, DateTimeOffset now, CancellationToken ct)
    {
        var notes = new List<string>();
        var json = rows.ToDictionary(r => (r.Kind, r.Name), r => r.Json);
        var users = rows.Where(r => r.Kind == IamService.User).ToDictionary(r => r.Name, r => JsonSerializer.Deserialize<IamUser>(r.Json, Json)!, StringComparer.Ordinal);
        var userNames = keys.ToDictionary(k => k.AccessKeyId, k => k.UserName, StringComparer.Ordinal);

        // A stored user named "admin" got there by renaming itself (issue #25): before, that made it the administrator.
        // It becomes an ordinary user under another name, with every key that was moved to it.
        if (users.Remove(IamService.AdminUserName, out var squatter))
        {
            var newName = "admin-renamed-" + squatter.UserId;
            squatter.Name = newName;
            squatter.Arn = $"arn:aws:iam::{accountId}:user{squatter.Path}{newName}";
            users[newName] = squatter;
            json.Remove((IamService.User, IamService.AdminUserName));
            await tx.DeleteIamEntityAsync(IamService.User, IamService.AdminUserName, ct);
            var adminKey = await tx.GetSettingAsync(AdminAccessKeySetting, ct);
            var moved = keys.Where(k => k.UserName == IamService.AdminUserName && k.AccessKeyId != adminKey).Select(k => k.AccessKeyId).ToList();
            foreach (var movedId in moved)
            {
                userNames[movedId] = newName;
            }

            notes.Add($"an IAM user was stored under the administrator's name (UserId {squatter.UserId}): renamed {newName}; access keys moved to it: {(moved.Count == 0 ? "none" : string.Join(", ", moved))}");
        }

        var admin = NewAdmin(IamIds.NewId("AIDA"), accountId, now);
        users[IamService.AdminUserName] = admin;

        // References a protected record may not leave dangling (ADR 0010): dropped once here, refused afterwards.
        var groups = rows.Where(r => r.Kind == IamService.Group).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var policies = rows.Where(r => r.Kind == IamService.Policy).Select(r => JsonSerializer.Deserialize<IamManagedPolicy>(r.Json, Json)!.Arn).ToHashSet(StringComparer.Ordinal);
        foreach (var user in users.Values)
        {
            var dropped = user.Groups.RemoveAll(g => !groups.Contains(g)) + user.AttachedPolicies.RemoveAll(p => !policies.Contains(p));
            if (dropped > 0)
            {
                notes.Add($"user {user.Name}: {dropped} reference(s) to groups or policies that no longer exist removed");
            }

            json[(IamService.User, user.Name)] = JsonSerializer.Serialize(user, Json);
        }

        foreach (var row in rows.Where(r => r.Kind == IamService.Group))
        {
            var group = JsonSerializer.Deserialize<IamGroup>(row.Json, Json)!;
            if (group.AttachedPolicies.RemoveAll(p => !policies.Contains(p)) > 0)
            {
                json[(row.Kind, row.Name)] = JsonSerializer.Serialize(group, Json);
                notes.Add($"group {row.Name}: references to policies that no longer exist removed");
            }
        }

        foreach (var row in rows.Where(r => r.Kind == IamService.Role))
        {
            var role = JsonSerializer.Deserialize<IamRole>(row.Json, Json)!;
            if (role.AttachedPolicies.RemoveAll(p => !policies.Contains(p)) > 0)
            {
                json[(row.Kind, row.Name)] = JsonSerializer.Serialize(role, Json);
                notes.Add($"role {row.Name}: references to policies that no longer exist removed");
            }
        }

        // Access keys: each bound to its principal (re-wrapped from the old binding) and tagged.
        var upgradedKeys = 0;
        foreach (var key in keys)
        {
            var userName = userNames[key.AccessKeyId];
            string? principalId = null;
            string principalArn = key.PrincipalArn;
            if (AccessKeyRecord.IsSessionOwner(userName))
            {
                var session = json.TryGetValue((IamService.Session, key.AccessKeyId), out var s) ? JsonSerializer.Deserialize<IamSession>(s, Json) : null;
                var role = session is not null && json.TryGetValue((IamService.Role, session.RoleName), out var r) ? JsonSerializer.Deserialize<IamRole>(r, Json) : null;
                principalId = role?.RoleId;
            }
            else if (users.TryGetValue(userName, out var user))
            {
                (principalId, principalArn) = (user.UserId, user.Arn);
            }

            if (principalId is null)
            {
                // A key whose principal is gone can never be used: removed rather than carried over unprotected.
                await tx.DeleteAccessKeyAsync(key.AccessKeyId, ct);
                notes.Add($"access key {key.AccessKeyId}: its principal no longer exists; removed");
                continue;
            }

            byte[] secret;
            try
            {
                secret = await root.UnwrapAsync(tx, key.WrappedSecret, IamRecords.AccessKeyBinding(key.AccessKeyId, null, key.PrincipalArn), ct);
            }
            catch (CryptoFailureException)
            {
                // Left as it is: without a tag it is refused like any altered row.
                root.ReportIntegrityFailure(IamRecords.AccessKeyTable, key.AccessKeyId);
                notes.Add($"access key {key.AccessKeyId}: its secret does not unwrap under the root key; left unprotected, so it is refused");
                continue;
            }

            try
            {
                var bound = new AccessKeyRecord
                {
                    AccessKeyId = key.AccessKeyId,
                    WrappedSecret = await root.WrapAsync(tx, secret, IamRecords.AccessKeyBinding(key.AccessKeyId, principalId, principalArn), ct),
                    PrincipalArn = principalArn,
                    UserName = userName,
                    Status = key.Status,
                    CreatedDate = key.CreatedDate,
                    PrincipalId = principalId,
                };
                await records.PutAccessKeyAsync(tx, bound, ct);
                upgradedKeys++;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }

        foreach (var ((kind, name), text) in json)
        {
            await records.PutAsync(tx, kind, name, text, ct);
        }

        var id = Encoding.UTF8.GetBytes(admin.UserId);
        await tx.PutRootWrappedAsync(AdminRecord, await root.WrapAsync(tx, id, "named:" + AdminRecord, ct), ct);
        await tx.SetSettingAsync(AdminUserIdSetting, admin.UserId, ct);
        if (rows.Count > 0 || keys.Count > 0)
        {
            notes.Insert(0, $"upgraded the store's identities (issue #25): the administrator is the IAM user admin ({admin.UserId}); {json.Count} IAM row(s) and {upgradedKeys} access key(s) now carry integrity tags");
        }

        return new Result(admin.UserId, rows.Count > 0 || keys.Count > 0, notes);
    }
}
