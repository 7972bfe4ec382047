using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>
/// A caller's access key resolved to its principal — and its <see cref="PrincipalKind"/> decided here, once, from the
/// key's row and its session's record — and the compiled identity policies of a user or a role session for
/// authorisation (cached until the next IAM change).
/// </summary>
public sealed class IamPrincipals : IPrincipalPolicies
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;
    private readonly RootWrap? _root;
    private readonly SecurityTokenService _sts;

    internal IamPrincipals(IamEntityStore entities, SecurityTokenService sts)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
        _root = entities.Root;
        _sts = sts;
    }

    /// <summary>A caller's access key, checked and resolved to its principal.</summary>
    /// <param name="PrincipalId">The principal's unique id as aws:userid has it: a user's UserId; a session's "RoleId:SessionName".</param>
    /// <param name="Kind">A user, a role's session or a user's own session: what every later question about the caller asks.</param>
    public sealed record ResolvedKey(string AccessKeyId, string PrincipalArn, string UserName, string PrincipalId, byte[] Secret, string? SessionTokenHash, DateTimeOffset? Expiration, PrincipalKind Kind);

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
            PrincipalKind kind;
            var userName = key.UserName;
            string? tokenHash = null;
            DateTimeOffset? expiration = null;
            var session = key.IsSessionKey ? await _sts.FindSessionAsync(accessKeyId, ct) : null;
            if (session is { IsUserSession: true, UserName: { } owner })
            {
                // A user's own session (GetSessionToken) acts as that user: its policies, its GetCallerIdentity.
                var user = Load<IamUser>(await _records.FindAsync(_store, User, owner, ct));
                if (user is null || user.UserId != key.PrincipalId || user.Arn != key.PrincipalArn)
                {
                    return null;
                }

                (principalId, userName, tokenHash, expiration, kind) = (user.UserId, owner, session.TokenHash, session.Expiration, PrincipalKind.UserSession);
            }
            else if (key.IsSessionKey)
            {
                var role = session is null ? null : Load<IamRole>(await _records.FindAsync(_store, Role, session.RoleName, ct));
                if (session is null || role is null || role.RoleId != key.PrincipalId || key.PrincipalArn != _sts.SessionArn(role.Name, session.SessionName))
                {
                    return null;
                }

                (principalId, tokenHash, expiration, kind) = (role.RoleId + ":" + session.SessionName, session.TokenHash, session.Expiration, PrincipalKind.AssumedRoleSession);
            }
            else
            {
                var user = Load<IamUser>(await _records.FindAsync(_store, User, key.UserName, ct));
                if (user is null || user.UserId != key.PrincipalId || user.Arn != key.PrincipalArn)
                {
                    return null;
                }

                (principalId, kind) = (user.UserId, PrincipalKind.User);
            }

            var secret = await _records.UnwrapSecretAsync(_store, key, ct);
            return new ResolvedKey(key.AccessKeyId, key.PrincipalArn, userName, principalId, secret, tokenHash, expiration, kind);
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
            var generation = _entities.Generation;

            // The hot path of every signed call: the user and its compiled policies, both dropped by any IAM change
            // (on this node at once, from other nodes within the change poll), so a hit reads nothing.
            if (_entities.Compiled.TryGetValue(userName, out var cached))
            {
                return cached;
            }

            var json = await _records.FindAsync(_store, User, userName, ct);
            var user = Load<IamUser>(json);
            if (user is null)
            {
                return null;
            }

            var read = new List<(IamEntityKind Kind, string Name, string Json)> { (User, userName, json!) };
            try
            {
                var policies = await CompileAsync(user, read, ct);
                if (_entities.Generation == generation)
                {
                    _entities.Compiled[userName] = (user, policies);
                    if (_entities.Generation != generation)
                    {
                        _entities.Compiled.TryRemove(userName, out _);
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
                    _root?.ReportIntegrityFailure(IamRecords.EntityTable, $"{missing.Kind}/{missing.Name} (named by user/{userName}, missing)");
                    throw new RecordIntegrityException(IamRecords.EntityTable, $"{missing.Kind}/{missing.Name}");
                }
            }
        }
    }

    private sealed class MissingReference(IamEntityKind kind, string name) : Exception($"{IamEntityKinds.ToStored(kind)}/{name} is missing")
    {
        public string Kind { get; } = IamEntityKinds.ToStored(kind);

        public string Name { get; } = name;
    }

    private async Task<List<NamedPolicy>> CompileAsync(IamUser user, List<(IamEntityKind Kind, string Name, string Json)> read, CancellationToken ct)
    {
        var policies = new List<NamedPolicy>();
        foreach (var (name, document) in user.InlinePolicies)
        {
            policies.Add(new NamedPolicy($"user/{user.Name} inline policy {name}", PolicyDocument.Parse(document)));
        }

        foreach (var arn in user.AttachedPolicies)
        {
            var policy = await _entities.FindPolicyAsync(_store, arn, ct) ?? throw new MissingReference(Policy, arn);
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
                var policy = await _entities.FindPolicyAsync(_store, arn, ct) ?? throw new MissingReference(Policy, arn);
                policies.Add(new NamedPolicy($"managed policy {arn} ({policy.DefaultVersionId}) via group/{groupName}", PolicyDocument.Parse(policy.DefaultDocument)));
            }
        }

        return policies;
    }

    /// <summary>
    /// The principal of <paramref name="caller"/>, by its kind: a user (or a user's GetSessionToken session) by name, a
    /// role's session by its own access key id; null when it is gone or is not the principal the key was issued to (a
    /// user or role re-created under the same name since has another unique id and lends it none). A caller of
    /// <see cref="PrincipalKind.Unknown"/> kind has none.
    /// </summary>
    public async Task<CallerPolicies?> PoliciesOfAsync(AccessCaller caller, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        switch (caller.Kind)
        {
            case PrincipalKind.AssumedRoleSession:
                if (await PoliciesOfSessionAsync(caller.AccessKeyId, ct) is { } session
                    && (caller.PrincipalId is null || caller.PrincipalId == session.Role.RoleId + ":" + session.Session.SessionName))
                {
                    return new CallerPolicies(session.Policies, session.SessionPolicies, null, session.Role, session.Session);
                }

                return null;
            case PrincipalKind.User or PrincipalKind.UserSession:
                if (await PoliciesOfUserAsync(caller.UserName, ct) is { } user && (caller.PrincipalId is null || caller.PrincipalId == user.User.UserId))
                {
                    return new CallerPolicies(user.Policies, null, user.User, null, null);
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>The role's policies and the session policy of an assumed-role session, or null when the session or its role is gone.</summary>
    public async Task<(IamRole Role, IamSession Session, IReadOnlyList<NamedPolicy> Policies, IReadOnlyList<NamedPolicy> SessionPolicies)?> PoliciesOfSessionAsync(string accessKeyId, CancellationToken ct)
    {
        var session = await _sts.FindSessionAsync(accessKeyId, ct);
        if (session is null || session.IsUserSession || await PoliciesOfRoleAsync(session.RoleName, ct) is not { } role)
        {
            return null;
        }

        IReadOnlyList<NamedPolicy> sessionPolicies = session.Policy is null ? [] : [new NamedPolicy("session policy", PolicyDocument.Parse(session.Policy), PolicySource.Session)];
        return (role.Role, session, role.Policies, sessionPolicies);
    }

    /// <summary>A role's inline and attached policies, or null when the role is gone.</summary>
    public async Task<(IamRole Role, IReadOnlyList<NamedPolicy> Policies)?> PoliciesOfRoleAsync(string roleName, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var json = await _records.FindAsync(_store, Role, roleName, ct);
            var role = Load<IamRole>(json);
            if (role is null)
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
                if (await _entities.FindPolicyAsync(_store, arn, ct) is not { } policy)
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

                _root?.ReportIntegrityFailure(IamRecords.EntityTable, $"{Policy}/{missing} (attached to role/{role.Name}, missing)");
                throw new RecordIntegrityException(IamRecords.EntityTable, $"{Policy}/{missing}");
            }

            return (role, policies);
        }
    }
}
