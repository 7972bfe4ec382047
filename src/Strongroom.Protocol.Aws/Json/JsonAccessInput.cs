using System.Text.Json;
using Strongroom.Core.Policies;

namespace Strongroom.Protocol.Aws.Json;

/// <summary>
/// The body the edge decoded once (<see cref="JsonInput"/>), read leniently for the access decision: a member of the
/// wrong type is missing here (the operation, which runs after the decision, answers its validation error).
/// </summary>
public sealed class JsonAccessInput : IAccessInput
{
    private readonly JsonElement _root;

    public JsonAccessInput(JsonElement root) => _root = root;

    private bool TryGet(string member, out JsonElement value)
    {
        if (_root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(member, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    private static string? StringOf(JsonElement element, string member) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public string? String(string member) => StringOf(_root, member);

    public bool IsTrue(string member) => TryGet(member, out var value) && value.ValueKind == JsonValueKind.True;

    public bool IsPresent(string member) => TryGet(member, out var value) && value.ValueKind != JsonValueKind.Null;

    public IReadOnlyList<string>? Strings(string member) =>
        TryGet(member, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : null;

    public IReadOnlyList<KeyValuePair<string, string>>? Tags(string member)
    {
        if (!TryGet(member, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var tags = new List<KeyValuePair<string, string>>();
        foreach (var tag in value.EnumerateArray())
        {
            if (StringOf(tag, "Key") is { } key)
            {
                tags.Add(new(key, StringOf(tag, "Value") ?? string.Empty));
            }
        }

        return tags;
    }

    public IReadOnlyList<KeyValuePair<string, string>>? Map(string member) =>
        TryGet(member, out var value) && value.ValueKind == JsonValueKind.Object
            ? value.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.ToString())).ToList()
            : null;
}
