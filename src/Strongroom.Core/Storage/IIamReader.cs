using Strongroom.Core.Identity;

namespace Strongroom.Core.Storage;

/// <summary>Reads of the IAM aggregate: entities (users, groups, roles, policies …) and access keys.</summary>
public interface IIamReader
{
    Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);

    /// <summary>An IAM entity row (user, group, role, policy …) as stored, unverified, or null. Read through <see cref="IamRecords"/>.</summary>
    Task<IamEntityRow?> FindIamEntityAsync(IamEntityKind kind, string name, CancellationToken cancellationToken);

    /// <summary>IAM entity rows of a kind by name, or of every kind (null) by kind and name; unverified.</summary>
    Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(IamEntityKind? kind, CancellationToken cancellationToken);

    /// <summary>Access keys of one user.</summary>
    Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken);
}
