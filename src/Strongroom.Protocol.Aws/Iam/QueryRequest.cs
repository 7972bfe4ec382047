using System.Text;

namespace Strongroom.Protocol.Aws.Iam;

/// <summary>
/// An AWS Query-protocol request body (form-encoded Action=…&amp;Version=…&amp;Member.1=…), decoded and validated once at
/// the edge: <see cref="Parse"/> takes '+' as a space and %XX as a byte, requires every name and value to decode to
/// valid UTF-8 (so no lone surrogate, however encoded), skips empty pairs ("&amp;&amp;"), and refuses a pair with an
/// empty name ("=x"), a broken escape ("%%", "%4") or invalid UTF-8 with AWS's InvalidQueryParameter (400). A name
/// given twice keeps its last value. Immutable.
/// </summary>
public sealed class QueryRequest
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Dictionary<string, string> _values;

    private QueryRequest(Dictionary<string, string> values)
    {
        _values = values;
    }

    private static AwsError Malformed(string why) =>
        new("InvalidQueryParameter", $"The AWS query string is malformed or does not adhere to AWS standards: {why}.");

    public string Action => _values.GetValueOrDefault("Action") ?? string.Empty;

    public static QueryRequest Parse(ReadOnlyMemory<byte> body)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = body.Span;
        var scratch = new byte[Math.Min(body.Length, 64 * 1024)];
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf((byte)'&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? [] : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf((byte)'=');
            var key = Decode(eq < 0 ? pair : pair[..eq], ref scratch);
            if (key.Length == 0)
            {
                throw Malformed("a parameter has no name");
            }

            values[key] = eq < 0 ? string.Empty : Decode(pair[(eq + 1)..], ref scratch);
        }

        return new QueryRequest(values);
    }

    /// <summary>application/x-www-form-urlencoded decoding, strict: %XX needs two hex digits, the bytes must be UTF-8.</summary>
    private static string Decode(ReadOnlySpan<byte> text, ref byte[] scratch)
    {
        if (scratch.Length < text.Length)
        {
            scratch = new byte[text.Length];
        }

        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= text.Length || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
                {
                    throw Malformed("'%' must be followed by two hexadecimal digits");
                }

                b = (byte)((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2]));
                i += 2;
            }
            else if (b == (byte)'+')
            {
                b = (byte)' ';
            }

            scratch[length++] = b;
        }

        try
        {
            return Strict.GetString(scratch, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("a parameter is not valid UTF-8");
        }
    }

    private static bool IsHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    private static int HexValue(byte b) => b <= (byte)'9' ? b - '0' : (b | 0x20) - 'a' + 10;

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

    /// <summary>Every member as sent (decoded), for the audit record, which copies only the operation's members.</summary>
    public IReadOnlyDictionary<string, string> All => _values;
}
