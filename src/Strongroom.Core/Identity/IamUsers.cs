using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamValidation;
using static Strongroom.Core.Identity.IamIds;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>IAM users: create, read, list, rename or move, tag, delete.</summary>
public sealed class IamUsers
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;

    internal IamUsers(IamEntityStore entities)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
    }

    private DateTimeOffset Now => _entities.Now;

    private string AccountId => _entities.AccountId;

    public Task<IamUser> CreateUserAsync(string name, string? path, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        ValidateName(name, "userName");
        var validPath = ValidatePath(path);
        return _entities.WriteAsync(async tx =>
        {
            if (await NameTakenAsync(tx, User, name, ct))
            {
                throw Exists($"User with name {name} already exists.");
            }

            var user = new IamUser { Name = name, Path = validPath, Arn = $"arn:aws:iam::{AccountId}:user{validPath}{name}", UserId = NewId("AIDA"), CreateDate = Now, Tags = tags?.ToList() ?? [] };
            await _entities.SaveAsync(tx, User, name, user, ct);
            return user;
        }, ct);
    }

    public async Task<IamUser> GetUserAsync(string name, CancellationToken ct) => await _entities.RequireUserAsync(_store, name, ct);

    /// <summary>The stored user named exactly <paramref name="name"/> (verified), or null.</summary>
    public async Task<IamUser?> FindUserAsync(string name, CancellationToken ct) => Load<IamUser>(await _records.FindAsync(_store, User, name, ct));

    public async Task<IReadOnlyList<IamUser>> ListUsersAsync(string? pathPrefix, CancellationToken ct) =>
        (await _records.ListAsync(_store, User, ct)).Select(j => Load<IamUser>(j)!).Where(u => pathPrefix is null || u.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public Task DeleteUserAsync(string name, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var user = await _entities.RequireUserAsync(tx, name, ct);
        if (_entities.IsAdmin(user))
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
    public Task UpdateUserAsync(string name, string? newName, string? newPath, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var user = await _entities.RequireUserAsync(tx, name, ct);
        if (_entities.IsAdmin(user))
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
        await _entities.SaveAsync(tx, User, user.Name, user, ct);
        return true;
    }, ct);

    public Task ChangeUserTagsAsync(string name, IReadOnlyList<IamTag>? add, IReadOnlyList<string>? remove, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var user = await _entities.RequireUserAsync(tx, name, ct);
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

        await _entities.SaveAsync(tx, User, name, user, ct);
        return true;
    }, ct);
}
