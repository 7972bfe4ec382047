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

        // AWS names a list member by its 1-based position: 'filters.2.member.values.1.member'.
        for (var f = 0; f < filters.Count; f++)
        {
            var filter = filters[f];
            var member = $"filters.{f + 1}.member";
            Validate.Enum(filter.Key, member + ".key", Keys);
            if (filter.Values.Count < 1 || filter.Values.Count > 10)
            {
                throw DomainException.Constraint(member + ".values", "[" + string.Join(", ", filter.Values) + "]", filter.Values.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
            }

            for (var v = 0; v < filter.Values.Count; v++)
            {
                var value = filter.Values[v];
                var valueMember = $"{member}.values.{v + 1}.member";
                Validate.Length(value, valueMember, 0, 512);
                for (var i = 0; i < value.Length; i++)
                {
                    var c = value[i];
                    var ok = char.IsAsciiLetterOrDigit(c) || c is ' ' or ':' or '_' or '@' or '/' or '+' or '=' or '.' or '-' or '!';
                    if (!ok)
                    {
                        throw DomainException.Constraint(valueMember, value, "Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$");
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
        "description" => s.Description is not null && WordsMatch(value, s.Description),
        "tag-key" => s.Tags.Any(t => t.Key.StartsWith(value, StringComparison.Ordinal)),
        "tag-value" => s.Tags.Any(t => t.Value.StartsWith(value, StringComparison.Ordinal)),
        "primary-region" => (s.PrimaryRegion ?? s.Region).StartsWith(value, StringComparison.Ordinal),
        "owning-service" => s.OwningService is not null && s.OwningService.StartsWith(value, StringComparison.Ordinal),
        "all" => WordsMatch(value, s.Name) || (s.Description is not null && WordsMatch(value, s.Description))
            || s.Tags.Any(t => WordsMatch(value, t.Key) || WordsMatch(value, t.Value)),
        _ => false,
    };

    /// <summary>
    /// True when every word of <paramref name="value"/> is, case-insensitively, the start of some word of
    /// <paramref name="text"/>, in any order ("one two" matches "one and two"). A value without words
    /// (punctuation only, e.g. "+") matches nothing.
    /// </summary>
    private static bool WordsMatch(string value, string text)
    {
        var wanted = Words(value).ToList();
        if (wanted.Count == 0)
        {
            return false;
        }

        var have = Words(text).ToList();
        return wanted.All(w => have.Any(h => h.StartsWith(w, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// The words ListSecrets' "all" and "description" filters search, split as AWS splits them: any character
    /// that is neither a letter nor a digit separates words; inside a run of letters and digits, a word starts
    /// at every character that is not a lower-case letter and is followed by one (so "MyTest" is My, Test;
    /// "SecretFTag" is Secret, F, Tag; "COMPANYthings" is COMPAN, Ythings; "COMPANY" stays whole). Digits count
    /// as not lower-case, so "a1b2" is a, 1b, 2.
    /// </summary>
    public static IEnumerable<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetterOrDigit(text[i]))
            {
                i++;
                continue;
            }

            var end = i;
            while (end < text.Length && char.IsLetterOrDigit(text[end]))
            {
                end++;
            }

            foreach (var word in SplitRun(text, i, end))
            {
                yield return word;
            }

            i = end;
        }
    }

    private static List<string> SplitRun(string text, int start, int end)
    {
        var words = new List<string>();
        var pending = start;
        var i = start;
        while (i < end)
        {
            if (!char.IsLower(text[i]) && i + 1 < end && char.IsLower(text[i + 1]))
            {
                if (i > pending)
                {
                    words.Add(text[pending..i]);
                }

                var j = i + 1;
                while (j < end && char.IsLower(text[j]))
                {
                    j++;
                }

                words.Add(text[i..j]);
                pending = i = j;
            }
            else
            {
                i++;
            }
        }

        if (end > pending)
        {
            words.Add(text[pending..end]);
        }

        return words;
    }
}
