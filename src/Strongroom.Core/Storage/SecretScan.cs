namespace Strongroom.Core.Storage;

/// <summary>Sort keys for listing secrets. Stored nowhere; part of pagination tokens by name.</summary>
public enum SecretSortKey
{
    CreatedDate,
    LastAccessedDate,
    LastChangedDate,
    Name,
}

/// <summary>
/// A keyset scan over one region's secrets: rows strictly after (<see cref="AfterValue"/>, <see cref="AfterId"/>)
/// in the given order, at most <see cref="Limit"/> of them. <see cref="NamePrefix"/> narrows by an index.
/// </summary>
public sealed record SecretScan(
    string Region,
    bool IncludeDeleted,
    SecretSortKey SortBy,
    bool Ascending,
    long? AfterValue,
    string? AfterName,
    long? AfterId,
    string? NamePrefix,
    int Limit);
