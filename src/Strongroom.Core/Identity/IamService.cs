using Strongroom.Core.Kms;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Identity;

/// <summary>
/// IAM and STS: the use cases, each its own class (users, access keys, groups, managed policies, inline policies and
/// attachments, roles, STS sessions, OpenID Connect providers, principals for authorisation), built over one shared
/// <see cref="IamEntityStore"/>. Compiled policies are cached and dropped on every IAM change, so enforcement costs
/// no store round trip on the hot path. Thread-safe.
/// </summary>
public sealed class IamService
{
    public const IamEntityKind User = IamEntityKind.User;
    public const IamEntityKind Group = IamEntityKind.Group;
    public const IamEntityKind Policy = IamEntityKind.Policy;
    public const IamEntityKind Role = IamEntityKind.Role;
    public const IamEntityKind Session = IamEntityKind.Session;
    public const IamEntityKind OidcProvider = IamEntityKind.OidcProvider;

    /// <summary>The name the administrator's user has; reserved (whatever its case) for it alone.</summary>
    public const string AdminUserName = "admin";

    /// <summary>The change-feed domain IAM writes mark, so every node's caches of credentials and policies follow.</summary>
    public const string ChangeDomain = "iam";

    private readonly IamEntityStore _entities;

    public IamService(IStore store, RootWrap root, ServerIdentity identity, TimeProvider time)
        : this(new IamEntityStore(store, root ?? throw new ArgumentNullException(nameof(root)), identity, time))
    {
    }

    private IamService(IamEntityStore entities)
    {
        _entities = entities;
        Users = new IamUsers(_entities);
        AccessKeys = new IamAccessKeys(_entities);
        Groups = new IamGroups(_entities, Users);
        Policies = new IamManagedPolicies(_entities);
        Attachments = new IamPolicyAttachments(_entities, Policies);
        Roles = new IamRoles(_entities);
        Sts = new SecurityTokenService(_entities);
        Principals = new IamPrincipals(_entities, Sts);
        OidcProviders = new IamOidcProviders(_entities);
    }

    /// <summary>
    /// A read-only view of the same rows without the root key: their integrity tags are not checked, and any write or
    /// secret unwrap throws. For `strongroom admin explain` alone — an offline diagnostic over a data directory, which
    /// needs no root key — so that it compiles the same policies (<see cref="IamPrincipals.PoliciesOfAsync"/>) and decides
    /// with the same <see cref="Policies.AccessEvaluator"/> as the server, whose own instance always verifies.
    /// </summary>
    public static IamService Unverified(IStore store, ServerIdentity identity, TimeProvider time) => new(new IamEntityStore(store, null, identity, time));

    public IamUsers Users { get; }

    public IamAccessKeys AccessKeys { get; }

    public IamGroups Groups { get; }

    /// <summary>Customer managed policies and their versions.</summary>
    public IamManagedPolicies Policies { get; }

    /// <summary>Inline policies of users, groups and roles, and the managed policies attached to them.</summary>
    public IamPolicyAttachments Attachments { get; }

    public IamRoles Roles { get; }

    public SecurityTokenService Sts { get; }

    /// <summary>Access keys resolved to principals, and the compiled policies of users and role sessions.</summary>
    public IamPrincipals Principals { get; }

    public IamOidcProviders OidcProviders { get; }

    public string AccountId => _entities.AccountId;

    /// <summary>Incremented by every IAM change; caches of credentials and policies compare it.</summary>
    public long Generation => _entities.Generation;

    /// <summary>True when <paramref name="user"/> is the administrator: its unique id, never its name, decides.</summary>
    public bool IsAdmin(IamUser user) => _entities.IsAdmin(user);

    /// <summary>Drops what is cached after another node changed IAM state (<see cref="Cluster.ClusterCoordinator"/>).</summary>
    public void Invalidate() => _entities.Changed();
}
