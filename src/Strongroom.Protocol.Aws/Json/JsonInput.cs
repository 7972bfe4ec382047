using System.Text.Json;
using Strongroom.Core.Errors;

namespace Strongroom.Protocol.Aws.Json;

/// <summary>
/// Typed, checked access to an awsJson1.1 request body. A member of the wrong JSON type is a
/// SerializationException, a missing required member a ValidationException, as AWS answers them.
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

    public static JsonInput Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return new JsonInput(JsonDocument.Parse("{}"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
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

        return new JsonInput(document);
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

    public int? Int(string name)
    {
        var value = Long(name);
        if (value is null)
        {
            return null;
        }

        // Out-of-int range values still get the range error from validation, not an overflow.
        return (int)Math.Clamp(value.Value, int.MinValue, int.MaxValue);
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
