using System.Text.Json;
using Strongroom.Core.Errors;

namespace Strongroom.Protocol.Aws.Json;

/// <summary>
/// Typed, checked access to an awsJson1.1 request body, decoded and validated once at the edge: <see cref="Parse"/>
/// accepts only a JSON object of at most <see cref="MaxDepth"/> levels whose every property name and string is valid
/// UTF-8 and, once unescaped, valid UTF-16 (no lone surrogate escape such as "\ud800"); anything else is AWS's
/// SerializationException (400). So no use case, policy check or audit record ever meets text it cannot decode or
/// write. A member of the wrong JSON type is a SerializationException, a missing required member a
/// ValidationException, as AWS answers them. Not thread-safe while being disposed; reads are.
/// </summary>
public sealed class JsonInput : IDisposable
{
    private readonly JsonDocument _document;

    private JsonInput(JsonDocument document)
    {
        _document = document;
        Root = document.RootElement;
    }

    public JsonElement Root { get; }

    /// <summary>How deeply a request body may nest; no AWS input shape of the services served goes past 6.</summary>
    public const int MaxDepth = 32;

    /// <summary>An empty input ({}), for operations that read no member.</summary>
    public static JsonInput Empty() => new(JsonDocument.Parse("{}"u8.ToArray()));

    public static JsonInput Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return Empty();
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            throw new DomainException(ErrorKind.Serialization, "The request body is not valid JSON.");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new DomainException(ErrorKind.Serialization, "The request body must be a JSON object.");
        }

        if (!IsDecodable(document.RootElement))
        {
            document.Dispose();
            throw new DomainException(ErrorKind.Serialization, "The request body is not valid UTF-8 JSON: a string holds invalid UTF-8 or an unpaired surrogate escape.");
        }

        return new JsonInput(document);
    }

    /// <summary>
    /// True when every property name and string under <paramref name="element"/> decodes to valid UTF-16. The parser
    /// checks structure only; decoding is checked here once so that no later GetString() can throw.
    /// </summary>
    private static bool IsDecodable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsDecodableText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property), () => property.Name) || !IsDecodable(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!IsDecodable(item))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.String:
                return IsDecodableText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element), element.GetString);
            default:
                return true;
        }
    }

    /// <summary>Raw (still escaped) text: without escapes it only has to be valid UTF-8; with them it is decoded once.</summary>
    private static bool IsDecodableText(ReadOnlySpan<byte> raw, Func<string?> decode)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return System.Text.Unicode.Utf8.IsValid(raw);
        }

        try
        {
            _ = decode();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public void Dispose() => _document.Dispose();

    private static bool TryGet(JsonElement parent, string name, out JsonElement value)
    {
        if (parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    private static DomainException WrongType(string name, string expected) =>
        new(ErrorKind.Serialization, $"Unexpected value type for member '{name}': expected {expected}.");

    public static DomainException Missing(string name) =>
        new(ErrorKind.Validation, $"1 validation error detected: Value null at '{char.ToLowerInvariant(name[0]) + name[1..]}' failed to satisfy constraint: Member must not be null");

    public string? String(string name) => String(Root, name);

    public static string? String(JsonElement parent, string name)
    {
        if (!TryGet(parent, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(name, "string");
    }

    public string RequiredString(string name) => String(name) ?? throw Missing(name);

    public bool? Bool(string name) => Bool(Root, name);

    public static bool? Bool(JsonElement parent, string name)
    {
        if (!TryGet(parent, name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "boolean"),
        };
    }

    public long? Long(string name) => Long(Root, name);

    public static long? Long(JsonElement parent, string name)
    {
        if (!TryGet(parent, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw WrongType(name, "integer");
        }

        return number;
    }

    /// <summary>
    /// An Integer member. A number that is not a 32-bit integer (a fraction, an exponent, one past int's range) is the
    /// SerializationException AWS answers for a value its Integer shape cannot hold: never clamped, so no validation
    /// message ever names a value the caller did not send.
    /// </summary>
    public int? Int(string name)
    {
        if (!TryGet(Root, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            throw WrongType(name, "integer");
        }

        return number;
    }

    public byte[]? Blob(string name)
    {
        var text = String(name);
        if (text is null)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new DomainException(ErrorKind.Serialization, $"Member '{name}' is not valid base64.");
        }
    }

    public List<JsonElement>? Array(string name) => Array(Root, name);

    public static List<JsonElement>? Array(JsonElement parent, string name)
    {
        if (!TryGet(parent, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : throw WrongType(name, "list");
    }

    public List<string>? StringList(string name) => StringList(Root, name);

    public static List<string>? StringList(JsonElement parent, string name) =>
        Array(parent, name)?.Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw WrongType(name, "list of strings")).ToList();

    /// <summary>A map&lt;string,string&gt; member (an encryption context).</summary>
    public Dictionary<string, string>? Map(string name)
    {
        if (!TryGet(Root, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw WrongType(name, "map");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : throw WrongType(name, "map of strings");
        }

        return map;
    }

    public JsonElement? Object(string name)
    {
        if (!TryGet(Root, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object ? value : throw WrongType(name, "structure");
    }

    public static JsonElement Structure(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object ? element : throw WrongType(name, "structure");
}
