using Strongroom.Core.Identity;

namespace Strongroom.Core.Storage;

/// <summary>Writes of the IAM aggregate inside a unit of work (with its reads).</summary>
public interface IIamWriter : IIamReader
{
    Task UpsertAccessKeyAsync(AccessKeyRecord accessKey, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the row (its JSON and its integrity tag). Write through <see cref="IamRecords"/>, which computes the tag.</summary>
    Task PutIamEntityAsync(IamEntityRow row, CancellationToken cancellationToken);

    Task DeleteIamEntityAsync(IamEntityKind kind, string name, CancellationToken cancellationToken);

    Task DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken);
}
