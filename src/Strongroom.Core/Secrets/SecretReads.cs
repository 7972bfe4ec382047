using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;

namespace Strongroom.Core.Secrets;

/// <summary>
/// The read side of one secret: GetSecretValue (the hot path), DescribeSecret, ListSecretVersionIds.
/// </summary>
public sealed class SecretReads
{
    private readonly IStore _store;
    private readonly SecretSealer _sealer;
    private readonly TimeProvider _time;

    internal SecretReads(IStore store, SecretSealer sealer, TimeProvider time)
    {
        _store = store;
        _sealer = sealer;
        _time = time;
    }

    /// <summary>
    /// Every value the secret's versions hold (text as is, binary as base64), for masking a rotation function's
    /// output before it is stored; null when the secret is gone or a version cannot be opened (then nothing may be
    /// stored unmasked). Records no access: it is the server's own read, not a caller's.
    /// </summary>
    public async Task<IReadOnlyList<string>?> ValuesToMaskAsync(string arn, CancellationToken ct)
    {
        var secret = await _store.FindSecretByArnAsync(arn, ct);
        if (secret is null)
        {
            return null;
        }

        var values = new List<string>();
        foreach (var version in await _store.ListVersionsAsync(secret.Id, ct))
        {
            if (version.Envelope is null)
            {
                continue;
            }

            try
            {
                using var value = await _sealer.OpenAsync(_store, secret, version, ct);
                values.Add(value.Text ?? Convert.ToBase64String(value.Binary!));
            }
            catch (DomainException)
            {
                return null;
            }
        }

        return values;
    }

    /// <param name="resolution">The call's <see cref="SecretResolution"/>: the secret, and the version, the access decision
    /// already looked up are read from it (the hot path asks the store once for each, not twice).</param>
    public async Task<SecretValueResult> GetSecretValueAsync(string region, string secretId, string? versionId, string? versionStage, CancellationToken ct, SecretResolution? resolution = null)
    {
        Validate.VersionId(versionId, "versionId");
        Validate.Length(versionStage, "versionStage", 1, 256);
        var secret = await SecretLookup.RequireAsync(_store, region, secretId, ct, resolution);
        return await ReadValueAsync(secret, versionId, versionStage, ct, resolution is not null && resolution.IsFor(region, secretId) ? resolution : null);
    }

    internal async Task<SecretValueResult> ReadValueAsync(SecretRecord secret, string? versionId, string? versionStage, CancellationToken ct, SecretResolution? resolution = null)
    {
        if (secret.DeletedDate is not null)
        {
            throw DomainException.MarkedForDeletion();
        }

        SecretVersionRecord? version;
        if (versionId is not null)
        {
            version = resolution is not null ? await resolution.FindVersionAsync(_store, secret, versionId, versionStage, ct) : await _store.FindVersionByIdAsync(secret.Id, versionId, ct);
            if (version is null)
            {
                throw new DomainException(ErrorKind.ResourceNotFound, $"Secrets Manager can't find the specified secret value for VersionId: {versionId}");
            }

            if (versionStage is not null && !version.Stages.Contains(versionStage))
            {
                throw DomainException.InvalidRequest("You provided a VersionStage that is not associated to the provided VersionId.");
            }
        }
        else
        {
            var stage = versionStage ?? Current;
            version = (resolution is not null ? await resolution.FindVersionAsync(_store, secret, null, stage, ct) : await _store.FindVersionByStageAsync(secret.Id, stage, ct))
                ?? throw new DomainException(ErrorKind.ResourceNotFound, $"Secrets Manager can't find the specified secret value for staging label: {stage}");
        }

        if (version.Envelope is null)
        {
            throw new DomainException(ErrorKind.ResourceNotFound, $"Secrets Manager can't find the specified secret value for VersionId: {version.VersionId}");
        }

        var value = await _sealer.OpenAsync(_store, secret, version, ct);
        var today = new DateTimeOffset(_time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        if (secret.LastAccessedDate != today || version.LastAccessedDate != today)
        {
            // Day granularity, so this write happens once per secret version and day, not per read.
            await _store.RecordAccessAsync(secret.Id, version.VersionId, today, ct);
            secret.LastAccessedDate = today;
            version.LastAccessedDate = today;
        }

        return new SecretValueResult(secret, version, value);
    }

    public async Task<SecretView> DescribeSecretAsync(string region, string secretId, CancellationToken ct, SecretResolution? resolution = null)
    {
        var secret = await SecretLookup.RequireAsync(_store, region, secretId, ct, resolution);
        var versions = await _store.ListVersionsAsync(secret.Id, ct);
        return new SecretView(secret, LabelMap(versions));
    }

    public async Task<VersionListResult> ListSecretVersionIdsAsync(string region, string secretId, int? maxResults, string? nextToken, bool includeDeprecated, CancellationToken ct, SecretResolution? resolution = null)
    {
        Validate.Range(maxResults, "maxResults", 1, 100);
        Validate.Length(nextToken, "nextToken", 1, 4096);
        var secret = await SecretLookup.RequireAsync(_store, region, secretId, ct, resolution);
        var versions = (await _store.ListVersionsAsync(secret.Id, ct))
            .Where(v => includeDeprecated || v.Stages.Count > 0)
            .OrderByDescending(v => v.CreatedDate).ThenBy(v => v.VersionId, StringComparer.Ordinal)
            .ToList();
        var start = 0;
        if (nextToken is not null)
        {
            var cursor = PageToken.Decode(nextToken);
            if (cursor.Kind != "versions" || cursor.Id is null)
            {
                throw new DomainException(ErrorKind.InvalidNextToken, "The NextToken value is invalid.");
            }

            // Keyset: resume after (created desc, id asc) of the last entry, so concurrent writes don't shift pages.
            start = versions.FindIndex(v => v.CreatedDate.ToUnixTimeMilliseconds() < cursor.Value
                || (v.CreatedDate.ToUnixTimeMilliseconds() == cursor.Value && string.CompareOrdinal(v.VersionId, cursor.Name) > 0));
            if (start < 0)
            {
                start = versions.Count;
            }
        }

        var size = maxResults ?? 100;
        var page = versions.Skip(start).Take(size).ToList();
        string? token = null;
        if (start + page.Count < versions.Count && page.Count > 0)
        {
            var last = page[^1];
            token = new PageToken("versions", null, true, last.CreatedDate.ToUnixTimeMilliseconds(), last.VersionId, 0).Encode();
        }

        return new VersionListResult(secret, page, token);
    }
}
