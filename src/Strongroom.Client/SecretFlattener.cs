using System.Globalization;
using System.Text.Json;

namespace Strongroom.Client;

/// <summary>Secret values as configuration keys (see <see cref="StrongroomSecretsOptions"/>).</summary>
internal static class SecretFlattener
{
    public static void Add(IDictionary<string, string?> data, string section, SecretValue value)
    {
        if (value.SecretBinary is { } binary)
        {
            data[section] = Convert.ToBase64String(binary);
            return;
        }

        var text = value.SecretString ?? string.Empty;
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                Add(data, section, document.RootElement);
                return;
            }
            catch (JsonException)
            {
                // Not JSON after all: the text is the value.
            }
        }

        data[section] = text;
    }

    private static void Add(IDictionary<string, string?> data, string key, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Add(data, key.Length == 0 ? property.Name : key + ":" + property.Name, property.Value);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Add(data, key + ":" + i.ToString(CultureInfo.InvariantCulture), item);
                    i++;
                }

                break;
            case JsonValueKind.String:
                data[key] = element.GetString();
                break;
            case JsonValueKind.Null:
                data[key] = null;
                break;
            default:
                data[key] = element.GetRawText();
                break;
        }
    }

    /// <summary>"a/b/c" → "a:b:c".</summary>
    public static string Section(string name) => name.Trim('/').Replace('/', ':');
}
