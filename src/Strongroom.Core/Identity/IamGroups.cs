using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamValidation;
using static Strongroom.Core.Identity.IamIds;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>IAM groups and their members.</summary>
public sealed class IamGroups
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;
    private readonly IamUsers _users;

    internal IamGroups(IamEntityStore entities, IamUsers users)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
        _users = users;
    }

    private DateTimeOffset Now => _entities.Now;

    private string AccountId => _entities.AccountId;

    public Task<IamGroup> CreateGroupAsync(string name, string? path, CancellationToken ct)
    {
        ValidateName(name, "groupName", 128);
        var validPath = ValidatePath(path);
        return _entities.WriteAsync(async tx =>
        {
            if (await NameTakenAsync(tx, Group, name, ct))
            {
                throw Exists($"Group with name {name} already exists.");
            }

            var group = new IamGroup { Name = name, Path = validPath, Arn = $"arn:aws:iam::{AccountId}:group{validPath}{name}", GroupId = NewId("AGPA"), CreateDate = Now };
            await _entities.SaveAsync(tx, Group, name, group, ct);
            return group;
        }, ct);
    }

    public async Task<(IamGroup Group, IReadOnlyList<IamUser> Users)> GetGroupAsync(string name, CancellationToken ct)
    {
        var group = await _entities.RequireGroupAsync(_store, name, ct);
        var users = (await _users.ListUsersAsync(null, ct)).Where(u => u.Groups.Contains(name)).ToList();
        return (group, users);
    }

    public async Task<IReadOnlyList<IamGroup>> ListGroupsAsync(CancellationToken ct) =>
        (await _records.ListAsync(_store, Group, ct)).Select(j => Load<IamGroup>(j)!).ToList();

    public async Task<IReadOnlyList<IamGroup>> ListGroupsForUserAsync(string userName, CancellationToken ct)
    {
        var user = await _entities.RequireUserAsync(_store, userName, ct);
        return (await ListGroupsAsync(ct)).Where(g => user.Groups.Contains(g.Name)).ToList();
    }

    public Task DeleteGroupAsync(string name, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var group = await _entities.RequireGroupAsync(tx, name, ct);
        var members = (await tx.ListIamEntitiesAsync(User, ct)).Select(row => Load<IamUser>(row.Json)!).Any(u => u.Groups.Contains(name));
        if (members || group.InlinePolicies.Count > 0 || group.AttachedPolicies.Count > 0)
        {
            throw Conflict("Cannot delete entity, must remove users and policies from the group first.");
        }

        await tx.DeleteIamEntityAsync(Group, name, ct);
        return true;
    }, ct);

    public Task SetGroupMembershipAsync(string groupName, string userName, bool member, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        await _entities.RequireGroupAsync(tx, groupName, ct);
        var user = await _entities.RequireUserAsync(tx, userName, ct);
        if (member && !user.Groups.Contains(groupName))
        {
            user.Groups.Add(groupName);
        }
        else if (!member && !user.Groups.Remove(groupName))
        {
            throw NoSuchEntity($"User {userName} is not in group {groupName}.");
        }

        await _entities.SaveAsync(tx, User, userName, user, ct);
        return true;
    }, ct);

    /// <summary>The stored group named exactly <paramref name="name"/> (verified), or null.</summary>
    public async Task<IamGroup?> FindGroupAsync(string name, CancellationToken ct) => Load<IamGroup>(await _records.FindAsync(_store, Group, name, ct));
}
