using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamValidation;
using static Strongroom.Core.Identity.IamService;

namespace Strongroom.Core.Identity;

/// <summary>The policies of a user, group or role: inline policies, and the managed policies attached to it.</summary>
public sealed class IamPolicyAttachments
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamManagedPolicies _policies;

    internal IamPolicyAttachments(IamEntityStore entities, IamManagedPolicies policies)
    {
        _entities = entities;
        _store = entities.Store;
        _policies = policies;
    }

    private async Task<SortedDictionary<string, string>> InlineOf(IStoreReader reader, IamEntityKind kind, string owner, CancellationToken ct) => kind switch
    {
        User => (await _entities.RequireUserAsync(reader, owner, ct)).InlinePolicies,
        Role => (await _entities.RequireRoleAsync(reader, owner, ct)).InlinePolicies,
        _ => (await _entities.RequireGroupAsync(reader, owner, ct)).InlinePolicies,
    };

    /// <summary>Loads an owner (user, group or role), lets <paramref name="change"/> edit its inline policies and attachments, saves it.</summary>
    private async Task EditOwnerAsync(IStoreTransaction tx, IamEntityKind kind, string owner, Action<SortedDictionary<string, string>, List<string>> change, CancellationToken ct)
    {
        switch (kind)
        {
            case User:
                var user = await _entities.RequireUserAsync(tx, owner, ct);
                change(user.InlinePolicies, user.AttachedPolicies);
                await _entities.SaveAsync(tx, User, owner, user, ct);
                break;
            case Role:
                var role = await _entities.RequireRoleAsync(tx, owner, ct);
                change(role.InlinePolicies, role.AttachedPolicies);
                await _entities.SaveAsync(tx, Role, owner, role, ct);
                break;
            default:
                var group = await _entities.RequireGroupAsync(tx, owner, ct);
                change(group.InlinePolicies, group.AttachedPolicies);
                await _entities.SaveAsync(tx, Group, owner, group, ct);
                break;
        }
    }

    public Task PutInlinePolicyAsync(IamEntityKind kind, string owner, string policyName, string document, CancellationToken ct)
    {
        ValidateName(policyName, "policyName", 128);
        ValidateDocument(document);
        return _entities.WriteAsync(async tx =>
        {
            await EditOwnerAsync(tx, kind, owner, (inline, _) => inline[policyName] = document, ct);
            return true;
        }, ct);
    }

    public async Task<string> GetInlinePolicyAsync(IamEntityKind kind, string owner, string policyName, CancellationToken ct) =>
        (await InlineOf(_store, kind, owner, ct)).TryGetValue(policyName, out var document) ? document : throw NoSuchEntity($"The {IamEntityKinds.ToStored(kind)} policy with name {policyName} cannot be found.");

    public async Task<IReadOnlyList<string>> ListInlinePoliciesAsync(IamEntityKind kind, string owner, CancellationToken ct) => (await InlineOf(_store, kind, owner, ct)).Keys.ToList();

    public Task DeleteInlinePolicyAsync(IamEntityKind kind, string owner, string policyName, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        await EditOwnerAsync(tx, kind, owner, (inline, _) =>
        {
            if (!inline.Remove(policyName))
            {
                throw NoSuchEntity($"The {IamEntityKinds.ToStored(kind)} policy with name {policyName} cannot be found.");
            }
        }, ct);
        return true;
    }, ct);

    public Task SetAttachmentAsync(IamEntityKind kind, string owner, string policyArn, bool attach, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var policy = await _entities.RequirePolicyAsync(tx, policyArn, ct);
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
        await _entities.SaveAsync(tx, Policy, policy.Name, policy, ct);
        return true;
    }, ct);

    public async Task<IReadOnlyList<IamManagedPolicy>> ListAttachedAsync(IamEntityKind kind, string owner, CancellationToken ct)
    {
        var arns = kind switch
        {
            User => (await _entities.RequireUserAsync(_store, owner, ct)).AttachedPolicies,
            Role => (await _entities.RequireRoleAsync(_store, owner, ct)).AttachedPolicies,
            _ => (await _entities.RequireGroupAsync(_store, owner, ct)).AttachedPolicies,
        };
        var all = await _policies.ListPoliciesAsync(false, ct);
        return all.Where(p => arns.Contains(p.Arn)).ToList();
    }
}
