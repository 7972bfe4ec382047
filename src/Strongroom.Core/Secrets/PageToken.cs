using System.Text;
using System.Text.Json;
using Strongroom.Core.Errors;

namespace Strongroom.Core.Secrets;

/// <summary>
/// A keyset pagination cursor: the sort key of the last entry returned. Pages resume after that key, so
/// writes between calls never repeat or skip entries that existed throughout. Format: base64url of a
/// small JSON object with "v":1.
/// </summary>
internal sealed record PageToken(string Kind, string? Sort, bool Ascending, long? Value, string? Name, long? Id)
{
    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["v"] = 1,
            ["k"] = Kind,
            ["s"] = Sort,
            ["a"] = Ascending,
            ["x"] = Value,
            ["n"] = Name,
            ["i"] = Id,
        });
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static PageToken Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            var root = document.RootElement;
            if (root.GetProperty("v").GetInt32() != 1)
            {
                throw new FormatException();
            }

            return new PageToken(
                root.GetProperty("k").GetString() ?? throw new FormatException(),
                root.GetProperty("s").ValueKind == JsonValueKind.Null ? null : root.GetProperty("s").GetString(),
                root.GetProperty("a").GetBoolean(),
                root.GetProperty("x").ValueKind == JsonValueKind.Null ? null : root.GetProperty("x").GetInt64(),
                root.GetProperty("n").ValueKind == JsonValueKind.Null ? null : root.GetProperty("n").GetString(),
                root.GetProperty("i").ValueKind == JsonValueKind.Null ? null : root.GetProperty("i").GetInt64());
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DomainException(ErrorKind.InvalidNextToken, "The NextToken value is invalid.");
        }
    }
}
