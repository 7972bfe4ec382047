using System.Collections.Concurrent;
using System.Text.Json;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamService;

namespace Strongroom.Core.Identity;

/// <summary>
/// What the IAM use cases share: the store and the verified records of IAM entities, the clock, the lookups that
/// throw NoSuchEntity, and the write that marks the change feed and drops every cache of credentials and policies
/// (the <see cref="Generation"/> and the compiled policies). Thread-safe.
/// </summary>
internal sealed class IamEntityStore
{
    /// <param name="root">The root key's wrapper; null for the unverified, read-only view of <see cref="IamService.Unverified"/>.</param>
    public IamEntityStore(IStore store, RootWrap? root, ServerIdentity identity, TimeProvider time)
    {
        Store = store;
        Root = root;
        Identity = identity;
        _time = time;
        Records = root is null ? IamRecords.Unverified() : new IamRecords(root);
    }

    private readonly TimeProvider _time;

    public IStore Store { get; }

    /// <summary>Null only in the unverified view (<see cref="IamService.Unverified"/>).</summary>
    public RootWrap? Root { get; }

    public ServerIdentity Identity { get; }

    public IamRecords Records { get; }

    /// <summary>The compiled policies of users by name, dropped on every IAM change.</summary>
    public ConcurrentDictionary<string, (IamUser User, IReadOnlyList<NamedPolicy> Policies)> Compiled { get; } = new(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Json = new();

    public DateTimeOffset Now => DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());

    public string AccountId => Identity.AccountId;

    private long _generation;

    /// <summary>Incremented by every IAM change; caches of credentials and policies compare it.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    internal void Changed()
    {
        Interlocked.Increment(ref _generation);
        Compiled.Clear();
    }

    internal static T? Load<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, Json);

    internal async Task<IamUser> RequireUserAsync(IStoreReader reader, string name, CancellationToken ct) =>
        Load<IamUser>(await Records.FindAsync(reader, User, name, ct)) ?? throw NoSuchEntity($"The user with name {name} cannot be found.");

    internal async Task<IamGroup> RequireGroupAsync(IStoreReader reader, string name, CancellationToken ct) =>
        Load<IamGroup>(await Records.FindAsync(reader, Group, name, ct)) ?? throw NoSuchEntity($"The group with name {name} cannot be found.");

    internal async Task<IamRole> RequireRoleAsync(IStoreReader reader, string name, CancellationToken ct) =>
        Load<IamRole>(await Records.FindAsync(reader, Role, name, ct)) ?? throw NoSuchEntity($"The role with name {name} cannot be found.");

    /// <summary>The stored policy an ARN names (its path included), or null.</summary>
    internal async Task<IamManagedPolicy?> FindPolicyAsync(IStoreReader reader, string arn, CancellationToken ct)
    {
        var name = arn.StartsWith($"arn:aws:iam::{AccountId}:policy/", StringComparison.Ordinal) ? arn[(arn.LastIndexOf('/') + 1)..] : null;
        var policy = name is null ? null : Load<IamManagedPolicy>(await Records.FindAsync(reader, Policy, name, ct));
        return policy?.Arn == arn ? policy : null;
    }

    internal async Task<IamManagedPolicy> RequirePolicyAsync(IStoreReader reader, string arn, CancellationToken ct) =>
        await FindPolicyAsync(reader, arn, ct) ?? throw NoSuchEntity($"Policy {arn} does not exist or is not attachable.");

    internal Task SaveAsync(IStoreTransaction tx, IamEntityKind kind, string name, object entity, CancellationToken ct) =>
        Records.PutAsync(tx, kind, name, JsonSerializer.Serialize(entity, entity.GetType(), Json), ct);

    /// <summary>
    /// True when an entity of <paramref name="kind"/> is stored under <paramref name="name"/> in any case: IAM names are
    /// unique case-insensitively (and "admin" is the administrator's, whatever its case).
    /// </summary>
    /// <param name="except">An entity renaming itself: its own current name does not count.</param>
    internal static async Task<bool> NameTakenAsync(IIamReader reader, IamEntityKind kind, string name, CancellationToken ct, string? except = null) =>
        (kind == User && string.Equals(name, AdminUserName, StringComparison.OrdinalIgnoreCase))
        || (name != except && await reader.FindIamEntityAsync(kind, name, ct) is not null)
        || (await reader.ListIamEntitiesAsync(kind, ct)).Any(row => row.Name != except && string.Equals(row.Name, name, StringComparison.OrdinalIgnoreCase));

    internal async Task<T> WriteAsync<T>(Func<IStoreTransaction, Task<T>> work, CancellationToken ct)
    {
        try
        {
            return await Store.WriteAsync(
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

    internal async Task<IamRole?> FindRoleByArnAsync(IStoreReader reader, string roleArn, CancellationToken ct)
    {
        var name = roleArn.StartsWith($"arn:aws:iam::{AccountId}:role/", StringComparison.Ordinal) ? roleArn[(roleArn.LastIndexOf('/') + 1)..] : null;
        var role = name is null ? null : Load<IamRole>(await Records.FindAsync(reader, Role, name, ct));
        return role is not null && role.Arn == roleArn ? role : null;
    }

    /// <summary>True when <paramref name="user"/> is the administrator: its unique id, never its name, decides.</summary>
    public bool IsAdmin(IamUser user) => user is not null && Identity.AdminUserId is { } admin && user.UserId == admin;
}
