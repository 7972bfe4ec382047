using System.Text.Encodings.Web;
using System.Text.Json;

namespace Strongroom.Core.Rotation;

/// <summary>
/// Masks secret values in what a rotation function printed, before anything is stored. Masked: every version's
/// whole value; inside a JSON value, each string (and number) member except the connection fields that name
/// rather than prove (<see cref="NamingFields"/>); each also in its JSON-escaped forms; and any extra value given
/// (the run's session credentials). Values shorter than <see cref="MinimumLength"/> characters are not looked for
/// on their own (they would mask ordinary words); the whole secret that holds them still is. A part whose start
/// was dropped (a tail) loses its first, partial line, so a cut-off secret cannot survive as a fragment.
/// Pure and thread-safe.
/// </summary>
public static class RotationOutputMasker
{
    /// <summary>What stands in for a masked value.</summary>
    public const string Mask = "********";

    /// <summary>Shortest value looked for on its own.</summary>
    public const int MinimumLength = 4;

    /// <summary>Members of AWS's database secret shapes that name a thing rather than prove who you are.</summary>
    public static readonly IReadOnlySet<string> NamingFields = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "engine", "host", "port", "username", "dbname", "dbClusterIdentifier", "dbInstanceIdentifier", "masterarn", "ssl", "tls",
    };

    private static readonly JavaScriptEncoder[] Encoders = [JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping];

    /// <summary>The strings to look for, longest first.</summary>
    public static IReadOnlyList<string> Needles(IEnumerable<string> secretValues, IEnumerable<string> extra)
    {
        ArgumentNullException.ThrowIfNull(secretValues);
        ArgumentNullException.ThrowIfNull(extra);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in secretValues)
        {
            Add(found, value);
            if (value.TrimStart().StartsWith('{') || value.TrimStart().StartsWith('['))
            {
                try
                {
                    using var document = JsonDocument.Parse(value);
                    Leaves(found, document.RootElement, null);
                }
                catch (JsonException)
                {
                    // Not JSON after all: the whole value is masked, which is all there is.
                }
            }
        }

        foreach (var value in extra)
        {
            Add(found, value);
        }

        return [.. found.Where(n => n.Length >= MinimumLength).OrderByDescending(n => n.Length).ThenBy(n => n, StringComparer.Ordinal)];
    }

    /// <summary>The part's text with every needle masked.</summary>
    public static string Apply(RotationOutputPart part, IReadOnlyList<string> needles)
    {
        ArgumentNullException.ThrowIfNull(part);
        ArgumentNullException.ThrowIfNull(needles);
        var text = part.Text;
        if (part.Truncated)
        {
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            text = "[earlier output dropped]\n" + (newline < 0 ? string.Empty : text[(newline + 1)..]);
        }

        foreach (var needle in needles)
        {
            text = text.Replace(needle, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    private static void Leaves(HashSet<string> found, JsonElement element, string? name)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    Leaves(found, member.Value, member.Name);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Leaves(found, item, name);
                }

                break;
            case JsonValueKind.String when name is null || !NamingFields.Contains(name):
                Add(found, element.GetString()!);
                break;
            case JsonValueKind.Number when name is null || !NamingFields.Contains(name):
                Add(found, element.GetRawText());
                break;
            default:
                break;
        }
    }

    private static void Add(HashSet<string> found, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        found.Add(value);
        foreach (var encoder in Encoders)
        {
            found.Add(encoder.Encode(value));
        }
    }
}
