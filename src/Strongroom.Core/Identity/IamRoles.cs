using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamValidation;
using static Strongroom.Core.Identity.IamIds;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>IAM roles: create, read, list, trust policy, tags, delete; and Strongroom's built-in rotation role.</summary>
public sealed class IamRoles
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;

    internal IamRoles(IamEntityStore entities)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
    }

    private DateTimeOffset Now => _entities.Now;

    private string AccountId => _entities.AccountId;

    public Task<IamRole> CreateRoleAsync(string name, string? path, string trustPolicy, string? description, int? maxSessionDuration, IReadOnlyList<IamTag>? tags, CancellationToken ct)
    {
        ValidateName(name, "roleName");
        var validPath = ValidatePath(path);
        ValidateTrustPolicy(trustPolicy);
        if (maxSessionDuration is < 3600 or > 43200)
        {
            throw Invalid($"1 validation error detected: Value '{maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200");
        }

        return _entities.WriteAsync(async tx =>
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
            await _entities.SaveAsync(tx, Role, name, role, ct);
            return role;
        }, ct);
    }

    public async Task<IamRole> GetRoleAsync(string name, CancellationToken ct) => await _entities.RequireRoleAsync(_store, name, ct);

    public async Task<IReadOnlyList<IamRole>> ListRolesAsync(string? pathPrefix, CancellationToken ct) =>
        (await _records.ListAsync(_store, Role, ct)).Select(j => Load<IamRole>(j)!).Where(r => pathPrefix is null || r.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public Task DeleteRoleAsync(string name, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var role = await _entities.RequireRoleAsync(tx, name, ct);
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
        return _entities.WriteAsync(async tx =>
        {
            var role = await _entities.RequireRoleAsync(tx, name, ct);
            role.AssumeRolePolicyDocument = document;
            await _entities.SaveAsync(tx, Role, name, role, ct);
            return true;
        }, ct);
    }

    public Task ChangeRoleTagsAsync(string name, IReadOnlyList<IamTag>? add, IReadOnlyList<string>? remove, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var role = await _entities.RequireRoleAsync(tx, name, ct);
        foreach (var tag in add ?? [])
        {
            role.Tags.RemoveAll(t => t.Key == tag.Key);
            role.Tags.Add(tag);
        }

        role.Tags.RemoveAll(t => remove?.Contains(t.Key) == true);
        await _entities.SaveAsync(tx, Role, name, role, ct);
        return true;
    }, ct);

    /// <summary>The stored role named exactly <paramref name="name"/> (verified), or null.</summary>
    public async Task<IamRole?> FindRoleAsync(string name, CancellationToken ct) => Load<IamRole>(await _records.FindAsync(_store, Role, name, ct));

    /// <summary>The role an ARN of this account names, or null.</summary>
    public async Task<IamRole?> FindRoleByArnAsync(string roleArn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(roleArn);
        var name = roleArn.StartsWith($"arn:aws:iam::{AccountId}:role/", StringComparison.Ordinal) ? roleArn[(roleArn.LastIndexOf('/') + 1)..] : null;
        var role = name is null ? null : Load<IamRole>(await _records.FindAsync(_store, Role, name, ct));
        return role is not null && role.Arn == roleArn ? role : null;
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

        return await _entities.WriteAsync(async tx =>
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
            await _entities.SaveAsync(tx, Role, role.Name, role, ct);
            return role;
        }, ct);
    }
}
