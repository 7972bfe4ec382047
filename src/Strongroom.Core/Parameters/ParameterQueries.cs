using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;
using static Strongroom.Core.Parameters.ParameterNames;

namespace Strongroom.Core.Parameters;

/// <summary>DescribeParameters: parameter metadata, filtered and paged.</summary>
public sealed class ParameterQueries
{
    private readonly IParameterReader _store;

    internal ParameterQueries(ParameterStoreContext context)
    {
        _store = context.Store;
    }

    public async Task<ParameterPage<ParameterRecord>> DescribeParametersAsync(string region, IReadOnlyList<ParameterFilter>? filters, IReadOnlyList<ParameterFilter>? legacyFilters, int? maxResults, string? nextToken, CancellationToken ct)
    {
        Validate.Range(maxResults, "maxResults", 1, 50);
        if (filters is { Count: > 0 } && legacyFilters is { Count: > 0 })
        {
            throw Validation("You can use either Filters or ParameterFilters in a single request, not both.");
        }

        var all = new List<ParameterFilter>(filters ?? legacyFilters ?? []);
        foreach (var filter in all)
        {
            var isTag = filter.Key.StartsWith("tag:", StringComparison.Ordinal) && filter.Key.Length > 4;
            if (!isTag && filter.Key is not ("Name" or "Type" or "KeyId" or "Path" or "Tier" or "DataType"))
            {
                throw Error("InvalidFilterKey", $"The following filter key is not valid: {filter.Key}. Valid filter keys include: [Path, Name, Type, KeyId, Tier, DataType, tag:<key>].");
            }

            var ok = filter.Option is null || (filter.Key == "Path" ? filter.Option is "Recursive" or "OneLevel" : filter.Option is "Equals" or "BeginsWith" || (filter.Key == "Name" && filter.Option == "Contains"));
            if (!ok)
            {
                throw Error("InvalidFilterOption", "The specified filter option isn't valid. Valid options are Equals and BeginsWith. For Path filter, valid options are Recursive and OneLevel.");
            }

            if (filter.Values.Count is < 1 or > 50 || filter.Values.Any(v => v.Length is < 1 or > 1024))
            {
                throw Error("InvalidFilterValue", $"The filter {filter.Key} needs 1 to 50 values of 1 to 1024 characters.");
            }

            if (filter.Key == "Path" && filter.Values.Any(v => !v.StartsWith('/')))
            {
                throw Error("InvalidFilterValue", "A Path filter value must begin with a forward slash (/).");
            }
        }

        var size = maxResults ?? 50;
        var after = nextToken is null ? null : DecodeToken(nextToken);
        var page = new List<ParameterRecord>();
        string? token = null;
        while (true)
        {
            var batch = await _store.ScanParametersAsync(region, string.Empty, after, 500, ct);
            foreach (var parameter in batch)
            {
                after = parameter.Key;
                if (!all.All(f => MatchesDescribe(parameter, f)))
                {
                    continue;
                }

                if (page.Count == size)
                {
                    token = EncodeToken(page[^1].Key);
                    return new ParameterPage<ParameterRecord>(page, token);
                }

                page.Add(parameter);
            }

            if (batch.Count < 500)
            {
                return new ParameterPage<ParameterRecord>(page, null);
            }
        }
    }

    private static bool MatchesDescribe(ParameterRecord p, ParameterFilter f)
    {
        bool Compare(string? actual) => actual is not null && f.Values.Any(v => f.Option switch
        {
            "BeginsWith" => actual.StartsWith(v, StringComparison.Ordinal),
            "Contains" => actual.Contains(v, StringComparison.Ordinal),
            _ => actual == v,
        });

        if (f.Key.StartsWith("tag:", StringComparison.Ordinal))
        {
            var tagKey = f.Key[4..];
            return p.Tags.Any(t => t.Key == tagKey && Compare(t.Value));
        }

        return f.Key switch
        {
            "Name" => Compare(p.Name) || Compare(p.Key) || (f.Option is null or "Equals" && f.Values.Any(v => KeyOf(v) == p.Key)),
            "Type" => Compare(p.Current.Type),
            "KeyId" => Compare(p.Current.KeyId),
            "Tier" => Compare(p.Current.Tier),
            "DataType" => Compare(p.Current.DataType),
            "Path" => f.Values.Any(v =>
            {
                var prefix = v == "/" ? "/" : v.TrimEnd('/') + "/";
                return p.Key.StartsWith(prefix, StringComparison.Ordinal) && (f.Option == "Recursive" || !p.Key[prefix.Length..].Contains('/', StringComparison.Ordinal));
            }),
            _ => false,
        };
    }
}
