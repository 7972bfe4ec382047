using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;

namespace Strongroom.Core.Secrets;

/// <summary>
/// ListSecrets and BatchGetSecretValue: keyset-paged scans with AWS's filters.
/// </summary>
public sealed class SecretListing
{
    private readonly ISecretQueries _store;
    private readonly SecretReads _reads;

    internal SecretListing(ISecretQueries store, SecretReads reads)
    {
        _store = store;
        _reads = reads;
    }

    public async Task<ListSecretsResult> ListSecretsAsync(string region, ListSecretsRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.Range(request.MaxResults, "maxResults", 1, 100);
        Validate.Length(request.NextToken, "nextToken", 1, 4096);
        Validate.Enum(request.SortOrder, "sortOrder", "asc", "desc");
        Validate.Enum(request.SortBy, "sortBy", "created-date", "last-accessed-date", "last-changed-date", "name");
        SecretFilters.ValidateFilters(request.Filters);
        var sortBy = request.SortBy switch
        {
            "name" => SecretSortKey.Name,
            "last-accessed-date" => SecretSortKey.LastAccessedDate,
            "last-changed-date" => SecretSortKey.LastChangedDate,
            _ => SecretSortKey.CreatedDate,
        };
        var (secrets, token) = await ScanAsync(region, request.Filters, request.IncludePlannedDeletion, sortBy, request.SortOrder != "desc", request.MaxResults ?? 100, request.NextToken, ct);
        var maps = await _store.GetStageMapsAsync(secrets.Select(s => s.Id).ToList(), ct);
        var views = secrets.Select(s => new SecretView(s, maps.TryGetValue(s.Id, out var m) ? m : [])).ToList();
        return new ListSecretsResult(views, token);
    }

    private async Task<(List<SecretRecord> Page, string? Token)> ScanAsync(string region, IReadOnlyList<ListFilter>? filters, bool includeDeleted, SecretSortKey sortBy, bool ascending, int size, string? nextToken, CancellationToken ct)
    {
        long? afterValue = null;
        string? afterName = null;
        long? afterId = null;
        if (nextToken is not null)
        {
            var cursor = PageToken.Decode(nextToken);
            if (cursor.Kind != "secrets" || cursor.Sort != sortBy.ToString() || cursor.Ascending != ascending)
            {
                throw new DomainException(ErrorKind.InvalidNextToken, "The NextToken value is invalid.");
            }

            afterValue = cursor.Value;
            afterName = cursor.Name;
            afterId = cursor.Id;
        }

        // A single positive name filter value narrows the scan through the name index.
        string? namePrefix = null;
        var nameFilters = filters?.Where(f => f.Key == "name").ToList() ?? [];
        if (nameFilters.Count == 1 && nameFilters[0].Values.Count == 1 && !nameFilters[0].Values[0].StartsWith('!'))
        {
            namePrefix = nameFilters[0].Values[0];
        }

        var page = new List<SecretRecord>();
        SecretRecord? lastScanned = null;
        var more = false;
        while (true)
        {
            var batchSize = Math.Max(size + 1, 200);
            var batch = await _store.ScanSecretsAsync(new SecretScan(region, includeDeleted, sortBy, ascending, afterValue, afterName, afterId, namePrefix, batchSize), ct);
            foreach (var secret in batch)
            {
                lastScanned = secret;
                if (!SecretFilters.Matches(secret, filters))
                {
                    continue;
                }

                if (page.Count == size)
                {
                    more = true;
                    break;
                }

                page.Add(secret);
            }

            if (more || batch.Count < batchSize)
            {
                break;
            }

            (afterValue, afterName, afterId) = (SortValue(lastScanned!, sortBy), lastScanned!.Name, lastScanned.Id);
        }

        string? token = null;
        if (more)
        {
            var last = page[^1];
            token = new PageToken("secrets", sortBy.ToString(), ascending, SortValue(last, sortBy), last.Name, last.Id).Encode();
        }

        return (page, token);
    }

    internal static long? SortValue(SecretRecord secret, SecretSortKey sortBy) => sortBy switch
    {
        SecretSortKey.CreatedDate => secret.CreatedDate.ToUnixTimeMilliseconds(),
        SecretSortKey.LastChangedDate => secret.LastChangedDate.ToUnixTimeMilliseconds(),
        SecretSortKey.LastAccessedDate => secret.LastAccessedDate?.ToUnixTimeMilliseconds() ?? 0,
        _ => null,
    };

    /// <param name="accessCheck">Per-secret authorisation: null when the caller may read the secret, else the denial text (reported as AccessDeniedException in Errors).</param>
    public async Task<BatchGetResult> BatchGetSecretValueAsync(string region, IReadOnlyList<string>? secretIds, IReadOnlyList<ListFilter>? filters, int? maxResults, string? nextToken, CancellationToken ct, Func<string, Task<string?>>? accessCheck = null)
    {
        if ((secretIds is null) == (filters is null))
        {
            throw DomainException.InvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
        }

        if (maxResults is not null && filters is null)
        {
            throw DomainException.InvalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");
        }

        Validate.Range(maxResults, "maxResults", 1, 20);
        Validate.Length(nextToken, "nextToken", 1, 4096);
        var values = new List<SecretValueResult>();
        var errors = new List<BatchError>();
        if (secretIds is not null)
        {
            if (secretIds.Count < 1 || secretIds.Count > 20)
            {
                throw DomainException.Constraint("secretIdList", "[...]", secretIds.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 20");
            }

            foreach (var id in secretIds)
            {
                Validate.Length(id, "secretIdList.member", 1, 2048);
            }

            foreach (var id in secretIds.Distinct(StringComparer.Ordinal))
            {
                if (accessCheck is not null && await accessCheck(id) is { } denied)
                {
                    errors.Add(new BatchError(id, ErrorCodes.For(ErrorKind.AccessDenied), denied));
                    continue;
                }

                try
                {
                    values.Add(await _reads.GetSecretValueAsync(region, id, null, null, ct));
                }
                catch (DomainException e)
                {
                    errors.Add(new BatchError(id, ErrorCodes.For(e.Kind), e.Message));
                }
            }

            return new BatchGetResult(values, errors, null);
        }

        SecretFilters.ValidateFilters(filters);
        var (secrets, token) = await ScanAsync(region, filters, includeDeleted: false, SecretSortKey.CreatedDate, ascending: true, maxResults ?? 20, nextToken, ct);
        foreach (var secret in secrets)
        {
            if (accessCheck is not null && await accessCheck(secret.Arn) is { } denied)
            {
                errors.Add(new BatchError(secret.Name, ErrorCodes.For(ErrorKind.AccessDenied), denied));
                continue;
            }

            try
            {
                values.Add(await _reads.ReadValueAsync(secret, null, null, ct));
            }
            catch (DomainException e)
            {
                errors.Add(new BatchError(secret.Name, ErrorCodes.For(e.Kind), e.Message));
            }
        }

        return new BatchGetResult(values, errors, token);
    }
}
