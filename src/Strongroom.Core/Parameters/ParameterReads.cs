using System.Globalization;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;
using static Strongroom.Core.Parameters.ParameterNames;

namespace Strongroom.Core.Parameters;

/// <summary>GetParameter, GetParameters, GetParametersByPath and GetParameterHistory: values (SecureString decrypted with the caller's permissions) and versions.</summary>
public sealed class ParameterReads
{
    private readonly ParameterStoreContext _context;
    private readonly IParameterReader _store;
    private readonly SecretsManagerReferences _references;

    internal ParameterReads(ParameterStoreContext context, SecretsManagerReferences references)
    {
        _context = context;
        _store = context.Store;
        _references = references;
    }

    /// <summary>GetParameter. <paramref name="access"/> answers for what the read reaches beyond the parameter: the KMS key of a SecureString, the secret of a reference.</summary>
    public async Task<ParameterValue> GetParameterAsync(string region, string reference, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(access);
        Validate.Length(reference, "name", 1, 2048);
        var (name, selector) = ParseReference(region, reference);
        if (name.StartsWith(ReferencePrefix, StringComparison.Ordinal))
        {
            return await _references.GetSecretReferenceAsync(region, name, selector, withDecryption, access, ct);
        }

        var parameter = await _store.FindParameterAsync(region, KeyOf(ValidateName(name, forWrite: false)), ct) ?? throw NotFound(reference);
        var version = parameter.Current;
        if (selector is not null)
        {
            if (selector.Length == 0)
            {
                throw Error("ParameterVersionNotFound", $"Systems Manager could not find version  of {name}.");
            }

            long? wanted = long.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : parameter.Labels.TryGetValue(selector, out var labelled) ? labelled : null;
            var found = wanted is null ? null : wanted == version.Version ? version : (await _store.ListParameterVersionsAsync(region, parameter.Key, ct)).FirstOrDefault(v => v.Version == wanted);
            version = found ?? throw Error("ParameterVersionNotFound", $"Systems Manager could not find version {selector} of {name}. Verify the version and try again.");
        }

        return new ParameterValue(parameter.Name, version.Type, await _context.ReadValueAsync(region, parameter, version, withDecryption, access, ct), version.Version,
            selector is null ? null : ":" + selector, null, version.LastModifiedDate, _context.Arn(region, parameter.Name), version.DataType);
    }

    public async Task<(IReadOnlyList<ParameterValue> Parameters, IReadOnlyList<string> Invalid)> GetParametersAsync(string region, IReadOnlyList<string> names, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count is < 1 or > 10)
        {
            throw DomainException.Constraint("names", "[...]", names.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
        }

        var found = new List<ParameterValue>();
        var invalid = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            try
            {
                found.Add(await GetParameterAsync(region, name, withDecryption, access, ct));
            }
            catch (DomainException e) when (e.Code is "ParameterNotFound" or "ParameterVersionNotFound" || e.Kind == ErrorKind.Validation && !e.Message.StartsWith("WithDecryption", StringComparison.Ordinal))
            {
                invalid.Add(name);
            }
        }

        return (found.OrderBy(p => p.Name, StringComparer.Ordinal).ToList(), invalid);
    }

    public async Task<ParameterPage<ParameterValue>> GetParametersByPathAsync(string region, string path, bool recursive, IReadOnlyList<ParameterFilter>? filters, bool withDecryption, int? maxResults, string? nextToken, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(access);
        Validate.Length(path, "path", 1, 2048);
        Validate.Range(maxResults, "maxResults", 1, 10);
        if (!path.StartsWith('/'))
        {
            throw Validation("The parameter path must begin with a forward slash (/).");
        }

        if (path.StartsWith(ReferencePrefix.TrimEnd('/'), StringComparison.Ordinal))
        {
            throw Validation("GetParametersByPath doesn't support the /aws/reference/secretsmanager namespace.");
        }

        foreach (var filter in filters ?? [])
        {
            if (filter.Key is not ("Type" or "KeyId" or "Label"))
            {
                throw Error("InvalidFilterKey", $"The following filter key is not valid: {filter.Key}. Valid filter keys include: [Type, KeyId, Label].");
            }

            if (filter.Option is not null && (filter.Key == "Label" ? filter.Option != "Equals" : filter.Option is not ("Equals" or "BeginsWith")))
            {
                throw Error("InvalidFilterOption", $"The following filter option is not valid: {filter.Option}. Valid options include: [Equals, BeginsWith].");
            }
        }

        var prefix = path == "/" ? "/" : path.TrimEnd('/') + "/";
        var size = maxResults ?? 10;
        var after = nextToken is null ? null : DecodeToken(nextToken);
        var page = new List<ParameterValue>();
        string? last = null;
        while (page.Count < size)
        {
            var batch = await _store.ScanParametersAsync(region, prefix, after, 200, ct);
            if (batch.Count == 0)
            {
                last = null;
                break;
            }

            foreach (var parameter in batch)
            {
                after = parameter.Key;
                if (!recursive && parameter.Key[prefix.Length..].Contains('/', StringComparison.Ordinal))
                {
                    continue;
                }

                var version = await MatchFiltersAsync(region, parameter, filters, ct);
                if (version is null)
                {
                    continue;
                }

                page.Add(new ParameterValue(parameter.Name, version.Type, await _context.ReadValueAsync(region, parameter, version, withDecryption, access, ct), version.Version, null, null, version.LastModifiedDate, _context.Arn(region, parameter.Name), version.DataType));
                last = parameter.Key;
                if (page.Count == size)
                {
                    break;
                }
            }

            if (batch.Count < 200 && page.Count < size)
            {
                last = null;
                break;
            }
        }

        string? token = null;
        if (page.Count == size && last is not null && (await _store.ScanParametersAsync(region, prefix, last, 1, ct)).Count > 0)
        {
            token = EncodeToken(last);
        }

        return new ParameterPage<ParameterValue>(page, token);
    }

    private async Task<ParameterVersionRecord?> MatchFiltersAsync(string region, ParameterRecord parameter, IReadOnlyList<ParameterFilter>? filters, CancellationToken ct)
    {
        var version = parameter.Current;
        foreach (var filter in filters ?? [])
        {
            var beginsWith = filter.Option == "BeginsWith";
            switch (filter.Key)
            {
                case "Type":
                    if (!filter.Values.Any(v => beginsWith ? parameter.Current.Type.StartsWith(v, StringComparison.Ordinal) : parameter.Current.Type == v))
                    {
                        return null;
                    }

                    break;
                case "KeyId":
                    if (parameter.Current.KeyId is null || !filter.Values.Any(v => beginsWith ? parameter.Current.KeyId.StartsWith(v, StringComparison.Ordinal) : parameter.Current.KeyId == v))
                    {
                        return null;
                    }

                    break;
                case "Label":
                    var labelled = filter.Values.Select(v => parameter.Labels.TryGetValue(v, out var n) ? n : (long?)null).FirstOrDefault(n => n is not null);
                    if (labelled is null)
                    {
                        return null;
                    }

                    if (labelled != version.Version)
                    {
                        version = (await _store.ListParameterVersionsAsync(region, parameter.Key, ct)).FirstOrDefault(v => v.Version == labelled);
                        if (version is null)
                        {
                            return null;
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        return version;
    }

    public async Task<ParameterPage<ParameterHistoryEntry>> GetParameterHistoryAsync(string region, string reference, bool withDecryption, int? maxResults, string? nextToken, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(access);
        Validate.Range(maxResults, "maxResults", 1, 50);
        var (name, _) = ParseReference(region, reference);
        var parameter = await _store.FindParameterAsync(region, KeyOf(ValidateName(name, forWrite: false)), ct) ?? throw NotFound(reference);
        long after = 0;
        if (nextToken is not null && !long.TryParse(DecodeToken(nextToken), NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw Error("InvalidNextToken", "The specified token isn't valid.");
        }

        var size = maxResults ?? 50;
        var versions = (await _store.ListParameterVersionsAsync(region, parameter.Key, ct)).Where(v => v.Version > after).ToList();
        var entries = new List<ParameterHistoryEntry>();
        foreach (var version in versions.Take(size))
        {
            var labels = parameter.Labels.Where(l => l.Value == version.Version).Select(l => l.Key).OrderBy(l => l, StringComparer.Ordinal).ToList();
            entries.Add(new ParameterHistoryEntry(parameter, version, await _context.ReadValueAsync(region, parameter, version, withDecryption, access, ct), labels));
        }

        var token = versions.Count > size ? EncodeToken(entries[^1].Version.Version.ToString(CultureInfo.InvariantCulture)) : null;
        return new ParameterPage<ParameterHistoryEntry>(entries, token);
    }
}
