using System.Text;

namespace Strongroom.Protocol.Aws.Iam;

/// <summary>An AWS Query-protocol request body (form-encoded Action=…&amp;Version=…&amp;Member.1=…). Immutable.</summary>
public sealed class QueryRequest
{
    private readonly Dictionary<string, string> _values;

    private QueryRequest(Dictionary<string, string> values)
    {
        _values = values;
    }

    public string Action => _values.GetValueOrDefault("Action") ?? string.Empty;

    public static QueryRequest Parse(ReadOnlyMemory<byte> body)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Encoding.UTF8.GetString(body.Span).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            values[key] = value;
        }

        return new QueryRequest(values);
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) => _values.GetValueOrDefault(name)
        ?? throw new AwsError("ValidationError", $"1 validation error detected: Value null at '{char.ToLowerInvariant(name[0]) + name[1..]}' failed to satisfy constraint: Member must not be null");

    public bool Flag(string name) => string.Equals(_values.GetValueOrDefault(name), "true", StringComparison.OrdinalIgnoreCase);

    public int? Int(string name) => int.TryParse(_values.GetValueOrDefault(name), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>Name.member.1, Name.member.2, … in order.</summary>
    public List<string> List(string name)
    {
        var list = new List<string>();
        for (var i = 1; _values.TryGetValue($"{name}.member.{i}", out var value); i++)
        {
            list.Add(value);
        }

        return list;
    }

    /// <summary>Tags.member.N.Key / .Value pairs.</summary>
    public List<KeyValuePair<string, string>> Pairs(string name)
    {
        var list = new List<KeyValuePair<string, string>>();
        for (var i = 1; _values.TryGetValue($"{name}.member.{i}.Key", out var key); i++)
        {
            list.Add(new(key, _values.GetValueOrDefault($"{name}.member.{i}.Value") ?? string.Empty));
        }

        return list;
    }

    /// <summary>Every member, for the audit record (the caller strips nothing sensitive: Query requests here carry no secrets).</summary>
    public IReadOnlyDictionary<string, string> All => _values;
}
