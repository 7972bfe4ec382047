using Strongroom.Core.Errors;

namespace Strongroom.Core.Secrets;

/// <summary>
/// ListSecrets / BatchGetSecretValue filter matching: values inside one filter are OR-ed, filters are
/// AND-ed, a leading '!' negates a value.
/// </summary>
public static class SecretFilters
{
    private static readonly string[] Keys = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"];

    public static void ValidateFilters(IReadOnlyList<ListFilter>? filters)
    {
        if (filters is null)
        {
            return;
        }

        if (filters.Count > 10)
        {
            throw DomainException.Constraint("filters", "[...]", "Member must have length less than or equal to 10");
        }

        foreach (var filter in filters)
        {
            Validate.Enum(filter.Key, "filters.member.key", Keys);
            if (filter.Values.Count < 1 || filter.Values.Count > 10)
            {
                throw DomainException.Constraint("filters.member.values", "[" + string.Join(", ", filter.Values) + "]", filter.Values.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
            }

            foreach (var value in filter.Values)
            {
                Validate.Length(value, "filters.member.values.member", 0, 512);
                for (var i = 0; i < value.Length; i++)
                {
                    var c = value[i];
                    var ok = char.IsAsciiLetterOrDigit(c) || c is ' ' or ':' or '_' or '@' or '/' or '+' or '=' or '.' or '-' or '!';
                    if (!ok)
                    {
                        throw DomainException.Constraint("filters.member.values.member", value, "Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$");
                    }
                }
            }
        }
    }

    public static bool Matches(SecretRecord secret, IReadOnlyList<ListFilter>? filters)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (filters is null)
        {
            return true;
        }

        foreach (var filter in filters)
        {
            // A secret without tags never matches a tag filter, negated or not (as AWS answers).
            if (filter.Key is "tag-key" or "tag-value" && secret.Tags.Count == 0)
            {
                return false;
            }

            var any = false;
            foreach (var raw in filter.Values)
            {
                var negate = raw.StartsWith('!');
                var value = negate ? raw[1..] : raw;
                var hit = MatchOne(secret, filter.Key, value);
                if (hit != negate)
                {
                    any = true;
                    break;
                }
            }

            if (!any)
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchOne(SecretRecord s, string key, string value) => key switch
    {
        "name" => s.Name.StartsWith(value, StringComparison.Ordinal),
        "description" => s.Description is not null && (s.Description.StartsWith(value, StringComparison.OrdinalIgnoreCase) || Words(s.Description).Any(w => w.StartsWith(value, StringComparison.OrdinalIgnoreCase))),
        "tag-key" => s.Tags.Any(t => t.Key.StartsWith(value, StringComparison.Ordinal)),
        "tag-value" => s.Tags.Any(t => t.Value.StartsWith(value, StringComparison.Ordinal)),
        "primary-region" => (s.PrimaryRegion ?? s.Region).StartsWith(value, StringComparison.Ordinal),
        "owning-service" => s.OwningService is not null && s.OwningService.StartsWith(value, StringComparison.Ordinal),
        "all" => MatchAll(s, value),
        _ => false,
    };

    private static bool MatchAll(SecretRecord s, string value)
    {
        var wanted = Words(value).ToList();
        if (wanted.Count == 0)
        {
            return true;
        }

        var have = Words(s.Name)
            .Concat(s.Description is null ? [] : Words(s.Description))
            .Concat(s.Tags.SelectMany(t => Words(t.Key).Concat(Words(t.Value))))
            .ToList();
        return wanted.All(w => have.Any(h => h.StartsWith(w, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Letters and digits only; a new word at every lower→upper change, letter↔digit change, or other character.</summary>
    public static IEnumerable<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : '\0';
            var isWordChar = i < text.Length && char.IsLetterOrDigit(c);
            if (start >= 0)
            {
                var prev = text[i - 1];
                var boundary = !isWordChar
                    || (char.IsLower(prev) && char.IsUpper(c))
                    || (char.IsLetter(prev) && char.IsDigit(c))
                    || (char.IsDigit(prev) && char.IsLetter(c));
                if (boundary)
                {
                    yield return text[start..i];
                    start = isWordChar ? i : -1;
                }
            }
            else if (isWordChar)
            {
                start = i;
            }
        }
    }
}
