using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Identity.IamErrors;
using static Strongroom.Core.Identity.IamValidation;
using static Strongroom.Core.Identity.IamIds;
using static Strongroom.Core.Identity.IamService;
using static Strongroom.Core.Identity.IamEntityStore;

namespace Strongroom.Core.Identity;

/// <summary>Customer managed policies and their versions.</summary>
public sealed class IamManagedPolicies
{
    private readonly IamEntityStore _entities;
    private readonly IStoreReader _store;
    private readonly IamRecords _records;

    internal IamManagedPolicies(IamEntityStore entities)
    {
        _entities = entities;
        _store = entities.Store;
        _records = entities.Records;
    }

    private DateTimeOffset Now => _entities.Now;

    private string AccountId => _entities.AccountId;

    public Task<IamManagedPolicy> CreatePolicyAsync(string name, string? path, string document, string? description, CancellationToken ct)
    {
        ValidateName(name, "policyName", 128);
        var validPath = ValidatePath(path);
        ValidateDocument(document);
        return _entities.WriteAsync(async tx =>
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
            await _entities.SaveAsync(tx, Policy, name, policy, ct);
            return policy;
        }, ct);
    }

    public async Task<IamManagedPolicy> GetPolicyAsync(string arn, CancellationToken ct) => await _entities.RequirePolicyAsync(_store, arn, ct);

    public async Task<IReadOnlyList<IamManagedPolicy>> ListPoliciesAsync(bool onlyAttached, CancellationToken ct) =>
        (await _records.ListAsync(_store, Policy, ct)).Select(j => Load<IamManagedPolicy>(j)!).Where(p => !onlyAttached || p.AttachmentCount > 0).ToList();

    public Task DeletePolicyAsync(string arn, CancellationToken ct) => _entities.WriteAsync(async tx =>
    {
        var policy = await _entities.RequirePolicyAsync(tx, arn, ct);
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
        return _entities.WriteAsync(async tx =>
        {
            var policy = await _entities.RequirePolicyAsync(tx, arn, ct);
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
            await _entities.SaveAsync(tx, Policy, policy.Name, policy, ct);
            return version;
        }, ct);
    }

    public async Task<(IamManagedPolicy Policy, IamPolicyVersion Version)> GetPolicyVersionAsync(string arn, string versionId, CancellationToken ct)
    {
        var policy = await _entities.RequirePolicyAsync(_store, arn, ct);
        var version = policy.Versions.FirstOrDefault(v => v.VersionId == versionId) ?? throw NoSuchEntity($"Policy {arn} version {versionId} does not exist.");
        return (policy, version);
    }

    /// <summary>The stored managed policy with exactly this ARN (verified), or null.</summary>
    public Task<IamManagedPolicy?> FindPolicyAsync(string arn, CancellationToken ct) => _entities.FindPolicyAsync(_store, arn, ct);
}
