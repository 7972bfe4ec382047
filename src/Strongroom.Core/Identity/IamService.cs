using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Identity;

/// <summary>
/// IAM users, groups, access keys and policies (inline and customer managed), and the compiled policies
/// of a principal for authorisation. Compiled policies are cached and dropped on every IAM change, so
/// enforcement costs no store round trip on the hot path. Thread-safe.
/// </summary>
public sealed partial class IamService
{
    public const string User = "user";
    public const string Group = "group";
    public const string Policy = "policy";
    public const string Role = "role";
    public const string Session = "session";
    public const string OidcProvider = "oidc-provider";
    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static readonly JsonSerializerOptions Json = new();
    private readonly IStore _store;
    private readonly RootWrap _root;
    private readonly ServerIdentity _identity;
    private readonly TimeProvider _time;
    private readonly IamRecords _records;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<NamedPolicy>> _compiled = new(StringComparer.Ordinal);

    public IamService(IStore store, RootWrap root, ServerIdentity identity, TimeProvider time)
    {
        _store = store;
        _root = root;
        _identity = identity;
        _time = time;
        _records = new IamRecords(root);
    }

    /// <summary>The name the administrator's user has; reserved (whatever its case) for it alone.</summary>
    public const string AdminUserName = "admin";

    /// <summary>True when <paramref name="user"/> is the administrator: its unique id, never its name, decides.</summary>
    public bool IsAdmin(IamUser user) => user is not null && _identity.AdminUserId is { } admin && user.UserId == admin;

    private static DomainException Unmodifiable(string what) => DomainException.WithCode("UnmodifiableEntity", what);

    private DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());

    public string AccountId => _identity.AccountId;

    private static DomainException NoSuchEntity(string what) => DomainException.WithCode("NoSuchEntity", what, 404);

    private static DomainException Exists(string what) => DomainException.WithCode("EntityAlreadyExists", what, 409);

    private static DomainException Conflict(string what) => DomainException.WithCode("DeleteConflict", what, 409);

    private static DomainException Invalid(string what) => DomainException.WithCode("ValidationError", what);

    internal static string NewId(string prefix)
    {
        var chars = new char[16];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = IdAlphabet[RandomNumberGenerator.GetInt32(IdAlphabet.Length)];
        }

        return prefix + new string(chars);
    }

    private static void ValidateName(string name, string member, int max = 64)
    {
        if (name.Length < 1 || name.Length > max || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '=' or ',' or '.' or '@' or '_' or '-'))
        {
            throw Invalid($"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
        }
    }

    private static string ValidatePath(string? path)
    {
        path ??= "/";
        if (!path.StartsWith('/') || !path.EndsWith('/') || path.Length > 512)
        {
            throw Invalid("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.");
        }

        return path;
    }

    private static void ValidateDocument(string document)
    {
        PolicyDocument parsed;
        try
        {
            parsed = PolicyDocument.Parse(document);
        }
        catch (PolicySyntaxException e)
        {
            throw DomainException.WithCode("MalformedPolicyDocument", $"Syntax errors in policy. {e.Message} (line {e.Line}, column {e.Column})");
        }

        // An identity policy applies to whoever holds it: it names no principal and must name resources.
        if (parsed.Statements.Any(st => st.Principals is not null || st.NotPrincipals is not null))
        {
            throw DomainException.WithCode("MalformedPolicyDocument", "Policy document should not specify a principal.");
        }

        if (parsed.Statements.Any(st => st.Resources is null && st.NotResources is null))
        {
            throw DomainException.WithCode("MalformedPolicyDocument", "Policy statement must contain resources.");
        }
    }

    private long _generation;

    /// <summary>Incremented by every IAM change; caches of credentials and policies compare it.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    private void Changed()
    {
        Interlocked.Increment(ref _generation);
        _compiled.Clear();
    }

    /// <summary>Drops what is cached after another node changed IAM state (<see cref="Cluster.ClusterCoordinator"/>).</summary>
    public void Invalidate() => Changed();

    /// <summary>The change-feed domain IAM writes mark, so every node's caches of credentials and policies follow.</summary>
    public const string ChangeDomain = "iam";

    private static T? Load<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, Json);

    private async Task<IamUser> RequireUserAsync(IStoreReader reader, string name, CancellationToken ct) =>
        Load<IamUser>(await _records.FindAsync(reader, User, name, ct)) ?? throw NoSuchEntity($"The user with name {name} cannot be found.");

    private async Task<IamGroup> RequireGroupAsync(IStoreReader reader, string name, CancellationToken ct) =>
        Load<IamGroup>(await _records.FindAsync(reader, Group, name, ct)) ?? throw NoSuchEntity($"The group with name {name} cannot be found.");

    /// <summary>The stored policy an ARN names (its path included), or null.</summary>
    private async Task<IamManagedPolicy?> FindPolicyAsync(IStoreReader reader, string arn, CancellationToken ct)
    {
        var name = arn.StartsWith($"arn:aws:iam::{AccountId}:policy/", StringComparison.Ordinal) ? arn[(arn.LastIndexOf('/') + 1)..] : null;
        var policy = name is null ? null : Load<IamManagedPolicy>(await _records.FindAsync(reader, Policy, name, ct));
        return policy?.Arn == arn ? policy : null;
    }

    private async Task<IamManagedPolicy> RequirePolicyAsync(IStoreReader reader, string arn, CancellationToken ct) =>
        await FindPolicyAsync(reader, arn, ct) ?? throw NoSuchEntity($"Policy {arn} does not exist or is not attachable.");

    private Task SaveAsync(IStoreTransaction tx, string kind, string name, object entity, CancellationToken ct) =>
        _records.PutAsync(tx, kind, name, JsonSerializer.Serialize(entity, entity.GetType(), Json), ct);

    /// <summary>
    /// True when an entity of <paramref name="kind"/> is stored under <paramref name="name"/> in any case: IAM names are
    /// unique case-insensitively (and "admin" is the administrator's, whatever its case).
    /// </summary>
    /// <param name="except">An entity renaming itself: its own current name does not count.</param>
    private static async Task<bool> NameTakenAsync(IStoreReader reader, string kind, string name, CancellationToken ct, string? except = null) =>
        (kind == User && string.Equals(name, AdminUserName, StringComparison.OrdinalIgnoreCase))
        || (name != except && await reader.FindIamEntityAsync(kind, name, ct) is not null)
        || (await reader.ListIamEntitiesAsync(kind, ct)).Any(row => row.Name != except && string.Equals(row.Name, name, StringComparison.OrdinalIgnoreCase));

    private async Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken ct)
    {
        try
        {
            return await _store.WriteAsync(
                async tx =>
                {
                    var result = await work(tx);
                    await Cluster.ClusterCoordinator.MarkChangedAsync(tx, ChangeDomain, ct);
                    return result;
                },
                ct);
        }
        finally
        {
            Changed();
        }
    }

    // ---------------------------------------------------------------- users

    public Task<IamUser> CreateUserAsync(string name, string? path, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        ValidateName(name, "userName");
        var validPath = ValidatePath(path);
        return WriteAsync(async tx =>
        {
            if (await NameTakenAsync(tx, User, name, ct))
            {
                throw Exists($"User with name {name} already exists.");
            }

            var user = new IamUser { Name = name, Path = validPath, Arn = $"arn:aws:iam::{AccountId}:user{validPath}{name}", UserId = NewId("AIDA"), CreateDate = Now, Tags = tags?.ToList() ?? [] };
            await SaveAsync(tx, User, name, user, ct);
            return user;
        }, ct);
    }

    public async Task<IamUser> GetUserAsync(string name, CancellationToken ct) => await RequireUserAsync(_store, name, ct);

    /// <summary>The stored user named exactly <paramref name="name"/> (verified), or null.</summary>
    public async Task<IamUser?> FindUserAsync(string name, CancellationToken ct) => Load<IamUser>(await _records.FindAsync(_store, User, name, ct));

    /// <summary>The stored role named exactly <paramref name="name"/> (verified), or null.</summary>
    public async Task<IamRole?> FindRoleAsync(string name, CancellationToken ct) => Load<IamRole>(await _records.FindAsync(_store, Role, name, ct));

    /// <summary>The stored group named exactly <paramref name="name"/> (verified), or null.</summary>
    public async Task<IamGroup?> FindGroupAsync(string name, CancellationToken ct) => Load<IamGroup>(await _records.FindAsync(_store, Group, name, ct));

    /// <summary>The stored managed policy with exactly this ARN (verified), or null.</summary>
    public Task<IamManagedPolicy?> FindPolicyAsync(string arn, CancellationToken ct) => FindPolicyAsync(_store, arn, ct);

    /// <summary>True when a row for <paramref name="accessKeyId"/> is stored at all (valid or not, active or not).</summary>
    public async Task<bool> AccessKeyStoredAsync(string accessKeyId, CancellationToken ct) => await _store.FindAccessKeyAsync(accessKeyId, ct) is not null;

    /// <summary>The verified access key <paramref name="accessKeyId"/>, or null.</summary>
    public Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken ct) => _records.FindAccessKeyAsync(_store, accessKeyId, ct);

    public async Task<IReadOnlyList<IamUser>> ListUsersAsync(string? pathPrefix, CancellationToken ct) =>
        (await _records.ListAsync(_store, User, ct)).Select(j => Load<IamUser>(j)!).Where(u => pathPrefix is null || u.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public Task DeleteUserAsync(string name, CancellationToken ct) => WriteAsync(async tx =>
    {
        var user = await RequireUserAsync(tx, name, ct);
        if (IsAdmin(user))
        {
            throw Unmodifiable($"The user {name} is Strongroom's administrator: it cannot be deleted.");
        }

        if ((await tx.ListAccessKeysAsync(name, ct)).Count > 0 || user.InlinePolicies.Count > 0 || user.AttachedPolicies.Count > 0 || user.Groups.Count > 0)
        {
            throw Conflict("Cannot delete entity, must delete access keys, policies and group memberships first.");
        }

        await tx.DeleteIamEntityAsync(User, name, ct);
        return true;
    }, ct);

    /// <summary>
    /// Renames a user and/or changes its path. Its access keys follow it (re-wrapped under the new ARN); group
    /// membership and policies are kept on the user. The administrator cannot be renamed or moved; no user can take a
    /// name that another has in any case, nor "admin".
    /// </summary>
    public Task UpdateUserAsync(string name, string? newName, string? newPath, CancellationToken ct) => WriteAsync(async tx =>
    {
        var user = await RequireUserAsync(tx, name, ct);
        if (IsAdmin(user))
        {
            throw Unmodifiable($"The user {name} is Strongroom's administrator: it cannot be renamed or moved to another path.");
        }

        if (newPath is not null)
        {
            user.Path = ValidatePath(newPath);
        }

        var renamed = newName is not null && newName != name;
        if (renamed)
        {
            ValidateName(newName!, "newUserName");
            if (await NameTakenAsync(tx, User, newName!, ct, except: name))
            {
                throw Exists($"User with name {newName} already exists.");
            }

            await tx.DeleteIamEntityAsync(User, name, ct);
            user.Name = newName!;
        }

        var arn = $"arn:aws:iam::{AccountId}:user{user.Path}{user.Name}";
        if (arn != user.Arn || renamed)
        {
            foreach (var key in await _records.ListAccessKeysAsync(tx, name, ct))
            {
                await _records.RebindAccessKeyAsync(tx, key, arn, user.Name, ct);
            }
        }

        user.Arn = arn;
        await SaveAsync(tx, User, user.Name, user, ct);
        return true;
    }, ct);

    public Task ChangeUserTagsAsync(string name, IReadOnlyList<IamTag>? add, IReadOnlyList<string>? remove, CancellationToken ct) => WriteAsync(async tx =>
    {
        var user = await RequireUserAsync(tx, name, ct);
        foreach (var tag in add ?? [])
        {
            if (tag.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid("The tag key aws: prefix is reserved.");
            }

            user.Tags.RemoveAll(t => t.Key == tag.Key);
            user.Tags.Add(tag);
        }

        user.Tags.RemoveAll(t => remove?.Contains(t.Key) == true);
        if (user.Tags.Count > 50)
        {
            throw DomainException.WithCode("LimitExceeded", "Cannot exceed quota for TagsPerUser: 50", 409);
        }

        await SaveAsync(tx, User, name, user, ct);
        return true;
    }, ct);

    // ---------------------------------------------------------------- access keys

    /// <summary>Creates an access key; returns the record and the secret (shown once, never stored in plaintext).</summary>
    public Task<(AccessKeyRecord Key, string Secret)> CreateAccessKeyAsync(string userName, CancellationToken ct) => WriteAsync(async tx =>
    {
        var user = await RequireUserAsync(tx, userName, ct);
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
        await RequireUserAsync(_store, userName, ct);
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

        return WriteAsync(async tx =>
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
    public Task DeleteAccessKeyAsync(string userName, string accessKeyId, CancellationToken ct) => WriteAsync(async tx =>
    {
        var key = await RequireKeyOfAsync(tx, userName, accessKeyId, ct);
        if (key.Status == "Active")
        {
            await KeepAdminKeyAsync(tx, key, ct);
        }

        await tx.DeleteAccessKeyAsync(accessKeyId, ct);
        return true;
    }, ct);

    private async Task<AccessKeyRecord> RequireKeyOfAsync(IStoreTransaction tx, string userName, string accessKeyId, CancellationToken ct)
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

    // ---------------------------------------------------------------- groups

    public Task<IamGroup> CreateGroupAsync(string name, string? path, CancellationToken ct)
    {
        ValidateName(name, "groupName", 128);
        var validPath = ValidatePath(path);
        return WriteAsync(async tx =>
        {
            if (await NameTakenAsync(tx, Group, name, ct))
            {
                throw Exists($"Group with name {name} already exists.");
            }

            var group = new IamGroup { Name = name, Path = validPath, Arn = $"arn:aws:iam::{AccountId}:group{validPath}{name}", GroupId = NewId("AGPA"), CreateDate = Now };
            await SaveAsync(tx, Group, name, group, ct);
            return group;
        }, ct);
    }

    public async Task<(IamGroup Group, IReadOnlyList<IamUser> Users)> GetGroupAsync(string name, CancellationToken ct)
    {
        var group = await RequireGroupAsync(_store, name, ct);
        var users = (await ListUsersAsync(null, ct)).Where(u => u.Groups.Contains(name)).ToList();
        return (group, users);
    }

    public async Task<IReadOnlyList<IamGroup>> ListGroupsAsync(CancellationToken ct) =>
        (await _records.ListAsync(_store, Group, ct)).Select(j => Load<IamGroup>(j)!).ToList();

    public async Task<IReadOnlyList<IamGroup>> ListGroupsForUserAsync(string userName, CancellationToken ct)
    {
        var user = await RequireUserAsync(_store, userName, ct);
        return (await ListGroupsAsync(ct)).Where(g => user.Groups.Contains(g.Name)).ToList();
    }

    public Task DeleteGroupAsync(string name, CancellationToken ct) => WriteAsync(async tx =>
    {
        var group = await RequireGroupAsync(tx, name, ct);
        var members = (await tx.ListIamEntitiesAsync(User, ct)).Select(row => Load<IamUser>(row.Json)!).Any(u => u.Groups.Contains(name));
        if (members || group.InlinePolicies.Count > 0 || group.AttachedPolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must remove users and policies from the group first.");
        }

        await tx.DeleteIamEntityAsync(Group, name, ct);
        return true;
    }, ct);

    public Task SetGroupMembershipAsync(string groupName, string userName, bool member, CancellationToken ct) => WriteAsync(async tx =>
    {
        await RequireGroupAsync(tx, groupName, ct);
        var user = await RequireUserAsync(tx, userName, ct);
        if (member && !user.Groups.Contains(groupName))
        {
            user.Groups.Add(groupName);
        }
        else if (!member && !user.Groups.Remove(groupName))
        {
            throw NoSuchEntity($"User {userName} is not in group {groupName}.");
        }

        await SaveAsync(tx, User, userName, user, ct);
        return true;
    }, ct);

    // ---------------------------------------------------------------- inline policies

    private async Task<SortedDictionary<string, string>> InlineOf(IStoreReader reader, string kind, string owner, CancellationToken ct) => kind switch
    {
        User => (await RequireUserAsync(reader, owner, ct)).InlinePolicies,
        Role => (await RequireRoleAsync(reader, owner, ct)).InlinePolicies,
        _ => (await RequireGroupAsync(reader, owner, ct)).InlinePolicies,
    };

    private async Task<IamRole> RequireRoleAsync(IStoreReader reader, string name, CancellationToken ct) =>
        Load<IamRole>(await _records.FindAsync(reader, Role, name, ct)) ?? throw NoSuchEntity($"The role with name {name} cannot be found.");

    /// <summary>Loads an owner (user, group or role), lets <paramref name="change"/> edit its inline policies and attachments, saves it.</summary>
    private async Task EditOwnerAsync(IStoreTransaction tx, string kind, string owner, Action<SortedDictionary<string, string>, List<string>> change, CancellationToken ct)
    {
        switch (kind)
        {
            case User:
                var user = await RequireUserAsync(tx, owner, ct);
                change(user.InlinePolicies, user.AttachedPolicies);
                await SaveAsync(tx, User, owner, user, ct);
                break;
            case Role:
                var role = await RequireRoleAsync(tx, owner, ct);
                change(role.InlinePolicies, role.AttachedPolicies);
                await SaveAsync(tx, Role, owner, role, ct);
                break;
            default:
                var group = await RequireGroupAsync(tx, owner, ct);
                change(group.InlinePolicies, group.AttachedPolicies);
                await SaveAsync(tx, Group, owner, group, ct);
                break;
        }
    }

    public Task PutInlinePolicyAsync(string kind, string owner, string policyName, string document, CancellationToken ct)
    {
        ValidateName(policyName, "policyName", 128);
        ValidateDocument(document);
        return WriteAsync(async tx =>
        {
            await EditOwnerAsync(tx, kind, owner, (inline, _) => inline[policyName] = document, ct);
            return true;
        }, ct);
    }

    public async Task<string> GetInlinePolicyAsync(string kind, string owner, string policyName, CancellationToken ct) =>
        (await InlineOf(_store, kind, owner, ct)).TryGetValue(policyName, out var document) ? document : throw NoSuchEntity($"The {kind} policy with name {policyName} cannot be found.");

    public async Task<IReadOnlyList<string>> ListInlinePoliciesAsync(string kind, string owner, CancellationToken ct) => (await InlineOf(_store, kind, owner, ct)).Keys.ToList();

    public Task DeleteInlinePolicyAsync(string kind, string owner, string policyName, CancellationToken ct) => WriteAsync(async tx =>
    {
        await EditOwnerAsync(tx, kind, owner, (inline, _) =>
        {
            if (!inline.Remove(policyName))
            {
                throw NoSuchEntity($"The {kind} policy with name {policyName} cannot be found.");
            }
        }, ct);
        return true;
    }, ct);

    // ---------------------------------------------------------------- managed policies

    public Task<IamManagedPolicy> CreatePolicyAsync(string name, string? path, string document, string? description, CancellationToken ct)
    {
        ValidateName(name, "policyName", 128);
        var validPath = ValidatePath(path);
        ValidateDocument(document);
        return WriteAsync(async tx =>
        {
            if (await NameTakenAsync(tx, Policy, name, ct))
            {
                throw Exists($"A policy called {name} already exists. Duplicate names are not allowed.");
            }

            var now = Now;
            var policy = new IamManagedPolicy
            {
                Name = name, Path = validPath, Arn = $"arn:aws:iam::{AccountId}:policy{validPath}{name}", PolicyId = NewId("ANPA"), Description = description,
                CreateDate = now, UpdateDate = now, Versions = [new IamPolicyVersion { VersionId = "v1", Document = document, CreateDate = now }],
            };
            await SaveAsync(tx, Policy, name, policy, ct);
            return policy;
        }, ct);
    }

    public async Task<IamManagedPolicy> GetPolicyAsync(string arn, CancellationToken ct) => await RequirePolicyAsync(_store, arn, ct);

    public async Task<IReadOnlyList<IamManagedPolicy>> ListPoliciesAsync(bool onlyAttached, CancellationToken ct) =>
        (await _records.ListAsync(_store, Policy, ct)).Select(j => Load<IamManagedPolicy>(j)!).Where(p => !onlyAttached || p.AttachmentCount > 0).ToList();

    public Task DeletePolicyAsync(string arn, CancellationToken ct) => WriteAsync(async tx =>
    {
        var policy = await RequirePolicyAsync(tx, arn, ct);
        if (policy.AttachmentCount > 0)
        {
            throw Conflict("Cannot delete a policy attached to entities.");
        }

        await tx.DeleteIamEntityAsync(Policy, policy.Name, ct);
        return true;
    }, ct);

    public Task<IamPolicyVersion> CreatePolicyVersionAsync(string arn, string document, bool setAsDefault, CancellationToken ct)
    {
        ValidateDocument(document);
        return WriteAsync(async tx =>
        {
            var policy = await RequirePolicyAsync(tx, arn, ct);
            if (policy.Versions.Count >= 5)
            {
                throw DomainException.WithCode("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.", 409);
            }

            var version = new IamPolicyVersion { VersionId = "v" + policy.NextVersion++, Document = document, CreateDate = Now };
            policy.Versions.Add(version);
            if (setAsDefault)
            {
                policy.DefaultVersionId = version.VersionId;
            }

            policy.UpdateDate = version.CreateDate;
            await SaveAsync(tx, Policy, policy.Name, policy, ct);
            return version;
        }, ct);
    }

    public async Task<(IamManagedPolicy Policy, IamPolicyVersion Version)> GetPolicyVersionAsync(string arn, string versionId, CancellationToken ct)
    {
        var policy = await RequirePolicyAsync(_store, arn, ct);
        var version = policy.Versions.FirstOrDefault(v => v.VersionId == versionId) ?? throw NoSuchEntity($"Policy {arn} version {versionId} does not exist.");
        return (policy, version);
    }

    public Task SetAttachmentAsync(string kind, string owner, string policyArn, bool attach, CancellationToken ct) => WriteAsync(async tx =>
    {
        var policy = await RequirePolicyAsync(tx, policyArn, ct);
        await EditOwnerAsync(tx, kind, owner, (_, attached) =>
        {
            if (attach && !attached.Contains(policyArn))
            {
                attached.Add(policyArn);
                policy.AttachmentCount++;
            }
            else if (!attach)
            {
                if (!attached.Remove(policyArn))
                {
                    throw NoSuchEntity($"Policy {policyArn} was not found.");
                }

                policy.AttachmentCount--;
            }
        }, ct);
        await SaveAsync(tx, Policy, policy.Name, policy, ct);
        return true;
    }, ct);

    public async Task<IReadOnlyList<IamManagedPolicy>> ListAttachedAsync(string kind, string owner, CancellationToken ct)
    {
        var arns = kind switch
        {
            User => (await RequireUserAsync(_store, owner, ct)).AttachedPolicies,
            Role => (await RequireRoleAsync(_store, owner, ct)).AttachedPolicies,
            _ => (await RequireGroupAsync(_store, owner, ct)).AttachedPolicies,
        };
        var all = await ListPoliciesAsync(false, ct);
        return all.Where(p => arns.Contains(p.Arn)).ToList();
    }

    // ---------------------------------------------------------------- roles and sessions

    public Task<IamRole> CreateRoleAsync(string name, string? path, string trustPolicy, string? description, int? maxSessionDuration, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        ValidateName(name, "roleName");
        var validPath = ValidatePath(path);
        ValidateTrustPolicy(trustPolicy);
        if (maxSessionDuration is < 3600 or > 43200)
        {
            throw Invalid($"1 validation error detected: Value '{maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200");
        }

        return WriteAsync(async tx =>
        {
            if (await NameTakenAsync(tx, Role, name, ct))
            {
                throw Exists($"Role with name {name} already exists.");
            }

            var role = new IamRole
            {
                Name = name, Path = validPath, Arn = $"arn:aws:iam::{AccountId}:role{validPath}{name}", RoleId = NewId("AROA"), CreateDate = Now,
                AssumeRolePolicyDocument = trustPolicy, Description = description, MaxSessionDuration = maxSessionDuration ?? 3600, Tags = tags?.ToList() ?? [],
            };
            await SaveAsync(tx, Role, name, role, ct);
            return role;
        }, ct);
    }

    private static void ValidateTrustPolicy(string document)
    {
        try
        {
            PolicyDocument.Parse(document, requirePrincipal: true);
        }
        catch (PolicySyntaxException e)
        {
            throw DomainException.WithCode("MalformedPolicyDocument", $"Syntax errors in policy. {e.Message} (line {e.Line}, column {e.Column})");
        }
    }

    public async Task<IamRole> GetRoleAsync(string name, CancellationToken ct) => await RequireRoleAsync(_store, name, ct);

    public async Task<IReadOnlyList<IamRole>> ListRolesAsync(string? pathPrefix, CancellationToken ct) =>
        (await _records.ListAsync(_store, Role, ct)).Select(j => Load<IamRole>(j)!).Where(r => pathPrefix is null || r.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public Task DeleteRoleAsync(string name, CancellationToken ct) => WriteAsync(async tx =>
    {
        var role = await RequireRoleAsync(tx, name, ct);
        if (role.InlinePolicies.Count > 0 || role.AttachedPolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must delete policies first.");
        }

        await tx.DeleteIamEntityAsync(Role, name, ct);
        return true;
    }, ct);

    public Task UpdateAssumeRolePolicyAsync(string name, string document, CancellationToken ct)
    {
        ValidateTrustPolicy(document);
        return WriteAsync(async tx =>
        {
            var role = await RequireRoleAsync(tx, name, ct);
            role.AssumeRolePolicyDocument = document;
            await SaveAsync(tx, Role, name, role, ct);
            return true;
        }, ct);
    }

    public Task ChangeRoleTagsAsync(string name, IReadOnlyList<IamTag>? add, IReadOnlyList<string>? remove, CancellationToken ct) => WriteAsync(async tx =>
    {
        var role = await RequireRoleAsync(tx, name, ct);
        foreach (var tag in add ?? [])
        {
            role.Tags.RemoveAll(t => t.Key == tag.Key);
            role.Tags.Add(tag);
        }

        role.Tags.RemoveAll(t => remove?.Contains(t.Key) == true);
        await SaveAsync(tx, Role, name, role, ct);
        return true;
    }, ct);

    private static void ValidateSessionName(string sessionName)
    {
        if (sessionName.Length is < 2 or > 64 || !sessionName.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '=' or ',' or '.' or '@' or '_' or '-'))
        {
            throw Invalid($"1 validation error detected: Value '{sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
        }
    }

    private static void ValidateSessionPolicy(string? sessionPolicy)
    {
        if (sessionPolicy is null)
        {
            return;
        }

        if (sessionPolicy.Length > 2048)
        {
            throw Invalid("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
        }

        try
        {
            PolicyDocument.Parse(sessionPolicy);
        }
        catch (PolicySyntaxException e)
        {
            throw DomainException.WithCode("MalformedPolicyDocument", "The policy is not in the valid JSON format. " + e.Message);
        }
    }

    /// <summary>The role an ARN of this account names, or null.</summary>
    public async Task<IamRole?> FindRoleByArnAsync(string roleArn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(roleArn);
        var name = roleArn.StartsWith($"arn:aws:iam::{AccountId}:role/", StringComparison.Ordinal) ? roleArn[(roleArn.LastIndexOf('/') + 1)..] : null;
        var role = name is null ? null : Load<IamRole>(await _records.FindAsync(_store, Role, name, ct));
        return role is not null && role.Arn == roleArn ? role : null;
    }

    /// <summary>
    /// AssumeRole: issues temporary credentials (ASIA key, secret, session token) for the role. Whether the caller
    /// may assume it (identity policies and the role's trust policy, sts:TagSession for tags) is decided by the
    /// authorizer before this runs, with every condition key of the request. A caller that is itself a session
    /// passes its transitive session tags on (role chaining); the request may not set one of those keys again.
    /// Returns the session, the role, and the secret and token.
    /// </summary>
    public Task<(IamSession Session, IamRole Role, string Secret, string Token)> AssumeRoleAsync(AssumeRoleRequest request, string callerArn, string? callerAccessKeyId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateSessionName(request.RoleSessionName);
        ValidateSessionPolicy(request.Policy);
        SessionTags.Validate(request.Tags, request.TransitiveTagKeys);
        return WriteAsync(async tx =>
        {
            var name = request.RoleArn.StartsWith($"arn:aws:iam::{AccountId}:role/", StringComparison.Ordinal) ? request.RoleArn[(request.RoleArn.LastIndexOf('/') + 1)..] : null;
            var role = name is null ? null : Load<IamRole>(await _records.FindAsync(tx, Role, name, ct));
            if (role is null || role.Arn != request.RoleArn)
            {
                throw DomainException.WithCode("AccessDenied", $"User: {callerArn} is not authorized to perform: sts:AssumeRole on resource: {request.RoleArn}", 403);
            }

            var duration = request.DurationSeconds ?? 3600;
            if (duration < 900 || duration > role.MaxSessionDuration)
            {
                throw Invalid($"The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is below 900 seconds): {duration}.");
            }

            var tags = request.Tags?.Select(t => new IamTag { Key = t.Key, Value = t.Value }).ToList() ?? [];
            var transitive = request.TransitiveTagKeys?.ToList() ?? [];
            var caller = callerAccessKeyId is null ? null : Load<IamSession>(await _records.FindAsync(tx, Session, callerAccessKeyId, ct));
            foreach (var key in caller?.TransitiveTagKeys ?? [])
            {
                if (caller!.Tags?.Find(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase)) is not { } inherited)
                {
                    continue;
                }

                if (tags.Any(t => string.Equals(t.Key, inherited.Key, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Invalid($"The session tag {inherited.Key} is a transitive tag of the calling session and can't be set again.");
                }

                tags.Add(new IamTag { Key = inherited.Key, Value = inherited.Value });
                transitive.Add(inherited.Key);
            }

            if (tags.Count > SessionTags.MaxTags)
            {
                throw Invalid($"The session would have {tags.Count} session tags with the inherited transitive tags; at most {SessionTags.MaxTags} are allowed.");
            }

            var session = NewSession(role, request.RoleSessionName, duration, request.Policy);
            session.Tags = tags.Count == 0 ? null : tags;
            session.TransitiveTagKeys = transitive.Count == 0 ? null : transitive;
            var (secret, token) = await StoreSessionAsync(tx, session, role.RoleId, SessionArn(role.Name, request.RoleSessionName), ct);
            return (session, role, secret, token);
        }, ct);
    }

    /// <summary>
    /// GetSessionToken: temporary credentials with the permissions of the IAM user <paramref name="userName"/> (the
    /// admin's carry the admin's). 900 to 129,600 seconds, 43,200 by default. Session credentials can't ask for
    /// more (AccessDenied), and MFA devices don't exist here, so a SerialNumber never validates.
    /// </summary>
    public Task<(IamSession Session, string Secret, string Token)> GetSessionTokenAsync(string userName, string userArn, string? callerAccessKeyId, int? durationSeconds, string? serialNumber, CancellationToken ct)
    {
        var duration = durationSeconds ?? 43200;
        if (duration is < 900 or > 129600)
        {
            throw Invalid($"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value {(duration < 900 ? "greater than or equal to 900" : "less than or equal to 129600")}");
        }

        return WriteAsync(async tx =>
        {
            if (callerAccessKeyId is not null && await tx.FindIamEntityAsync(Session, callerAccessKeyId, ct) is not null)
            {
                throw DomainException.WithCode("AccessDenied", "Cannot call GetSessionToken with session credentials", 403);
            }

            if (serialNumber is not null)
            {
                throw DomainException.WithCode("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.", 403);
            }

            var user = Load<IamUser>(await _records.FindAsync(tx, User, userName, ct));
            if (user is null || user.Arn != userArn)
            {
                throw DomainException.WithCode("AccessDenied", $"User: {userArn} is not authorized to perform: sts:GetSessionToken", 403);
            }

            var session = new IamSession
            {
                AccessKeyId = NewId("ASIA"), Kind = IamSession.UserKind, UserName = userName, SessionName = userName, Expiration = Now.AddSeconds(duration),
            };
            var (secret, token) = await StoreSessionAsync(tx, session, user.UserId, userArn, ct);
            return (session, secret, token);
        }, ct);
    }

    /// <summary>
    /// A web identity session for <paramref name="role"/> (AssumeRoleWithWebIdentity, after the token and the trust
    /// policy were checked by <see cref="WebIdentityFederation"/>).
    /// </summary>
    internal Task<(IamSession Session, string Secret, string Token)> IssueWebIdentitySessionAsync(
        IamRole role, string sessionName, int duration, string? sessionPolicy, IReadOnlyList<IamTag> tags, IReadOnlyList<string> transitiveTagKeys,
        string providerArn, SortedDictionary<string, List<string>> federationKeys, CancellationToken ct) => WriteAsync(async tx =>
    {
        var session = NewSession(role, sessionName, duration, sessionPolicy);
        session.Kind = IamSession.WebIdentityKind;
        session.Tags = tags.Count == 0 ? null : tags.ToList();
        session.TransitiveTagKeys = transitiveTagKeys.Count == 0 ? null : transitiveTagKeys.ToList();
        session.FederatedProvider = providerArn;
        session.FederationKeys = federationKeys;
        var (secret, token) = await StoreSessionAsync(tx, session, role.RoleId, SessionArn(role.Name, sessionName), ct);
        return (session, secret, token);
    }, ct);

    private IamSession NewSession(IamRole role, string sessionName, int duration, string? sessionPolicy) => new()
    {
        AccessKeyId = NewId("ASIA"), Kind = IamSession.RoleKind, RoleName = role.Name, SessionName = sessionName,
        Expiration = Now.AddSeconds(duration), Policy = sessionPolicy,
    };

    /// <summary>
    /// Stores a session: its access key (the secret wrapped by the root key, listed under "session:ASIA…" so it is
    /// never one of a user's own keys) and the session entity with the token's SHA-256. Returns the secret and token.
    /// </summary>
    private async Task<(string Secret, string Token)> StoreSessionAsync(IStoreTransaction tx, IamSession session, string principalId, string principalArn, CancellationToken ct)
    {
        var secretChars = new char[40];
        for (var i = 0; i < secretChars.Length; i++)
        {
            secretChars[i] = SecretAlphabet[RandomNumberGenerator.GetInt32(SecretAlphabet.Length)];
        }

        var secret = new string(secretChars);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96));
        session.TokenHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var bytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            await _records.CreateAccessKeyAsync(tx, session.AccessKeyId, bytes, principalId, principalArn, "session:" + session.AccessKeyId, Now, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        await SaveAsync(tx, Session, session.AccessKeyId, session, ct);
        return (secret, token);
    }

    /// <summary>The built-in role rotation functions run as unless they name their own.</summary>
    public const string RotationRoleName = "strongroom-rotation";

    private const string RotationTrustPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"secretsmanager.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    /// <summary>AWS's SecretsManagerReadWrite, narrowed to Secrets Manager: a multi-user function can read its master secret.</summary>
    private const string RotationRolePolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}""";

    /// <summary>Creates the built-in role strongroom-rotation (with its Secrets Manager read/write policy) when it does not exist.</summary>
    public async Task<IamRole> EnsureRotationRoleAsync(CancellationToken ct)
    {
        if (Load<IamRole>(await _records.FindAsync(_store, Role, RotationRoleName, ct)) is { } existing)
        {
            return existing;
        }

        return await WriteAsync(async tx =>
        {
            if (Load<IamRole>(await _records.FindAsync(tx, Role, RotationRoleName, ct)) is { } raced)
            {
                return raced;
            }

            var role = new IamRole
            {
                Name = RotationRoleName, Path = "/service-role/", Arn = $"arn:aws:iam::{AccountId}:role/service-role/{RotationRoleName}", RoleId = NewId("AROA"), CreateDate = Now,
                AssumeRolePolicyDocument = RotationTrustPolicy, Description = "Strongroom's built-in role for rotation functions: Secrets Manager read and write.",
                MaxSessionDuration = 43200, Tags = [],
            };
            role.InlinePolicies["SecretsManagerReadWrite"] = RotationRolePolicy;
            await SaveAsync(tx, Role, role.Name, role, ct);
            return role;
        }, ct);
    }

    /// <summary>
    /// Session credentials for a role, issued by the service itself (as Lambda gets its execution role's
    /// credentials): the role must exist and its trust policy must let one of <paramref name="services"/> (service
    /// principals such as lambda.amazonaws.com) call sts:AssumeRole. <paramref name="sessionPolicy"/>, when given,
    /// narrows the session as an AssumeRole session policy does.
    /// </summary>
    public Task<(IamSession Session, string Secret, string Token)> IssueServiceSessionAsync(string roleArn, string sessionName, int durationSeconds, IReadOnlyList<string> services, string? sessionPolicy, CancellationToken ct) => WriteAsync(async tx =>
    {
        var role = await FindRoleByArnAsync(tx, roleArn, ct) ?? throw NoSuchEntity($"The role {roleArn} cannot be found.");
        if (!TrustsService(role, services))
        {
            throw DomainException.WithCode("AccessDenied", $"The role {roleArn} cannot be assumed by {string.Join(" or ", services)}: its trust policy does not allow it sts:AssumeRole.", 403);
        }

        var session = NewSession(role, sessionName, Math.Clamp(durationSeconds, 900, role.MaxSessionDuration), sessionPolicy);
        var (secret, token) = await StoreSessionAsync(tx, session, role.RoleId, SessionArn(role.Name, sessionName), ct);
        return (session, secret, token);
    }, ct);

    /// <summary>True when the role exists and its trust policy lets one of <paramref name="services"/> assume it.</summary>
    public async Task<bool> RoleTrustsServiceAsync(string roleArn, IReadOnlyList<string> services, CancellationToken ct) =>
        await FindRoleByArnAsync(_store, roleArn, ct) is { } role && TrustsService(role, services);

    private async Task<IamRole?> FindRoleByArnAsync(IStoreReader reader, string roleArn, CancellationToken ct)
    {
        var name = roleArn.StartsWith($"arn:aws:iam::{AccountId}:role/", StringComparison.Ordinal) ? roleArn[(roleArn.LastIndexOf('/') + 1)..] : null;
        var role = name is null ? null : Load<IamRole>(await _records.FindAsync(reader, Role, name, ct));
        return role is not null && role.Arn == roleArn ? role : null;
    }

    /// <summary>A request made by a service (no IAM principal, no account): only a Service principal, or "*", can match it.</summary>
    private bool TrustsService(IamRole role, IReadOnlyList<string> services)
    {
        PolicyDocument trust;
        try
        {
            trust = PolicyDocument.Parse(role.AssumeRolePolicyDocument);
        }
        catch (PolicySyntaxException)
        {
            return false;
        }

        var context = new RequestContext { Action = "sts:AssumeRole", Resource = role.Arn }
            .With("aws:PrincipalServiceName", services)
            .With("aws:SourceAccount", AccountId);
        return PolicyEvaluator.Evaluate(context, [], new NamedPolicy("trust policy", trust)).Allowed;
    }

    /// <summary>Ends a session at once: its access key stops working.</summary>
    public Task EndSessionAsync(string accessKeyId, CancellationToken ct) => WriteAsync(async tx =>
    {
        await tx.DeleteAccessKeyAsync(accessKeyId, ct);
        await tx.DeleteIamEntityAsync(Session, accessKeyId, ct);
        return true;
    }, ct);

    public string SessionArn(string roleName, string sessionName) => $"arn:aws:sts::{AccountId}:assumed-role/{roleName}/{sessionName}";

    public async Task<IamSession?> FindSessionAsync(string accessKeyId, CancellationToken ct) => Load<IamSession>(await _records.FindAsync(_store, Session, accessKeyId, ct));

    /// <summary>The role's policies and the session policy of an assumed-role session, or null when the role is gone.</summary>
    public async Task<(IamRole Role, IamSession Session, IReadOnlyList<NamedPolicy> Policies, IReadOnlyList<NamedPolicy> SessionPolicies)?> PoliciesOfSessionAsync(string accessKeyId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var session = await FindSessionAsync(accessKeyId, ct);
            var json = session is null || session.IsUserSession ? null : await _records.FindAsync(_store, Role, session.RoleName, ct);
            var role = Load<IamRole>(json);
            if (session is null || role is null)
            {
                return null;
            }

            var policies = new List<NamedPolicy>();
            foreach (var (name, document) in role.InlinePolicies)
            {
                policies.Add(new NamedPolicy($"role/{role.Name} inline policy {name}", PolicyDocument.Parse(document)));
            }

            string? missing = null;
            foreach (var arn in role.AttachedPolicies)
            {
                if (await FindPolicyAsync(_store, arn, ct) is not { } policy)
                {
                    missing = arn;
                    break;
                }

                policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId})", PolicyDocument.Parse(policy.DefaultDocument)));
            }

            if (missing is not null)
            {
                // As for users: a racing detach-and-delete changed the role's record; otherwise the policy's row was removed.
                if (attempt == 0 && await _records.FindAsync(_store, Role, role.Name, ct) != json)
                {
                    continue;
                }

                _root.ReportIntegrityFailure(IamRecords.EntityTable, $"{Policy}/{missing} (attached to role/{role.Name}, missing)");
                throw new RecordIntegrityException(IamRecords.EntityTable, $"{Policy}/{missing}");
            }

            IReadOnlyList<NamedPolicy> sessionPolicies = session.Policy is null ? [] : [new NamedPolicy("session policy", PolicyDocument.Parse(session.Policy))];
            return (role, session, policies, sessionPolicies);
        }
    }

    // ---------------------------------------------------------------- authorisation

    /// <summary>A caller's access key, checked and resolved to its principal.</summary>
    /// <param name="PrincipalId">The principal's unique id as aws:userid has it: a user's UserId; a session's "RoleId:SessionName".</param>
    public sealed record ResolvedKey(string AccessKeyId, string PrincipalArn, string UserName, string PrincipalId, byte[] Secret, string? SessionTokenHash, DateTimeOffset? Expiration);

    /// <summary>
    /// The principal and secret of an active access key, or null when the key is unknown, inactive, or refused: its row
    /// or its principal's fails the integrity check, its secret does not unwrap under its principal's binding, or its
    /// principal is gone or is no longer the one the key was issued to (a user re-created under the same name, a role
    /// re-created for an old session). The caller zeroes <see cref="ResolvedKey.Secret"/>.
    /// </summary>
    public async Task<ResolvedKey?> ResolveAccessKeyAsync(string accessKeyId, CancellationToken ct)
    {
        try
        {
            var key = await _records.FindAccessKeyAsync(_store, accessKeyId, ct);
            if (key is null || key.Status != "Active")
            {
                return null;
            }

            string principalId;
            var userName = key.UserName;
            string? tokenHash = null;
            DateTimeOffset? expiration = null;
            var session = key.UserName.StartsWith("session:", StringComparison.Ordinal) ? await FindSessionAsync(accessKeyId, ct) : null;
            if (session is { IsUserSession: true, UserName: { } owner })
            {
                // A user's own session (GetSessionToken) acts as that user: its policies, its GetCallerIdentity.
                var user = Load<IamUser>(await _records.FindAsync(_store, User, owner, ct));
                if (user is null || user.UserId != key.PrincipalId || user.Arn != key.PrincipalArn)
                {
                    return null;
                }

                (principalId, userName, tokenHash, expiration) = (user.UserId, owner, session.TokenHash, session.Expiration);
            }
            else if (key.UserName.StartsWith("session:", StringComparison.Ordinal))
            {
                var role = session is null ? null : Load<IamRole>(await _records.FindAsync(_store, Role, session.RoleName, ct));
                if (session is null || role is null || role.RoleId != key.PrincipalId || key.PrincipalArn != SessionArn(role.Name, session.SessionName))
                {
                    return null;
                }

                (principalId, tokenHash, expiration) = (role.RoleId + ":" + session.SessionName, session.TokenHash, session.Expiration);
            }
            else
            {
                var user = Load<IamUser>(await _records.FindAsync(_store, User, key.UserName, ct));
                if (user is null || user.UserId != key.PrincipalId || user.Arn != key.PrincipalArn)
                {
                    return null;
                }

                principalId = user.UserId;
            }

            var secret = await _records.UnwrapSecretAsync(_store, key, ct);
            return new ResolvedKey(key.AccessKeyId, key.PrincipalArn, userName, principalId, secret, tokenHash, expiration);
        }
        catch (RecordIntegrityException)
        {
            return null;
        }
    }

    /// <summary>
    /// The compiled identity policies of an IAM user (inline, attached, and those of its groups), or null
    /// when the user no longer exists. Cached until the next IAM change.
    /// </summary>
    public async Task<(IamUser User, IReadOnlyList<NamedPolicy> Policies)?> PoliciesOfUserAsync(string userName, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            // Policies read before a concurrent change must not be cached after it.
            var generation = Generation;
            var json = await _records.FindAsync(_store, User, userName, ct);
            var user = Load<IamUser>(json);
            if (user is null)
            {
                return null;
            }

            if (_compiled.TryGetValue(userName, out var cached))
            {
                return (user, cached);
            }

            var read = new List<(string Kind, string Name, string Json)> { (User, userName, json!) };
            try
            {
                var policies = await CompileAsync(user, read, ct);
                if (Generation == generation)
                {
                    _compiled[userName] = policies;
                    if (Generation != generation)
                    {
                        _compiled.TryRemove(userName, out _);
                    }
                }

                return (user, policies);
            }
            catch (MissingReference missing)
            {
                // Deleting a group with members or an attached policy is refused, so a reference the store cannot
                // satisfy is either a change racing this read (the records read differ now: read again) or a row
                // removed from the database (refused, as it may have held a Deny).
                var changed = false;
                foreach (var (kind, name, text) in read)
                {
                    changed |= await _records.FindAsync(_store, kind, name, ct) != text;
                }

                if (attempt > 0 || !changed)
                {
                    _root.ReportIntegrityFailure(IamRecords.EntityTable, $"{missing.Kind}/{missing.Name} (named by user/{userName}, missing)");
                    throw new RecordIntegrityException(IamRecords.EntityTable, $"{missing.Kind}/{missing.Name}");
                }
            }
        }
    }

    private sealed class MissingReference(string kind, string name) : Exception($"{kind}/{name} is missing")
    {
        public string Kind { get; } = kind;

        public string Name { get; } = name;
    }

    private async Task<List<NamedPolicy>> CompileAsync(IamUser user, List<(string Kind, string Name, string Json)> read, CancellationToken ct)
    {
        var policies = new List<NamedPolicy>();
        foreach (var (name, document) in user.InlinePolicies)
        {
            policies.Add(new NamedPolicy($"user/{user.Name} inline policy {name}", PolicyDocument.Parse(document)));
        }

        foreach (var arn in user.AttachedPolicies)
        {
            var policy = await FindPolicyAsync(_store, arn, ct) ?? throw new MissingReference(Policy, arn);
            policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId})", PolicyDocument.Parse(policy.DefaultDocument)));
        }

        foreach (var groupName in user.Groups)
        {
            var json = await _records.FindAsync(_store, Group, groupName, ct) ?? throw new MissingReference(Group, groupName);
            read.Add((Group, groupName, json));
            var group = Load<IamGroup>(json)!;
            foreach (var (name, document) in group.InlinePolicies)
            {
                policies.Add(new NamedPolicy($"group/{groupName} inline policy {name}", PolicyDocument.Parse(document)));
            }

            foreach (var arn in group.AttachedPolicies)
            {
                var policy = await FindPolicyAsync(_store, arn, ct) ?? throw new MissingReference(Policy, arn);
                policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId}) via group/{groupName}", PolicyDocument.Parse(policy.DefaultDocument)));
            }
        }

        return policies;
    }
}
