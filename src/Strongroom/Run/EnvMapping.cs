using System.Text.Json;
using Strongroom.Client;

namespace Strongroom.Run;

/// <summary>One --env NAME=SECRET_ID[#JSON_KEY]: the variable, the secret, and the top-level JSON key that picks one field (null: the whole value).</summary>
internal sealed record EnvMapping(string Name, string SecretId, string? JsonKey)
{
    /// <exception cref="ClientConfigurationException">for a malformed mapping (the message shows only names).</exception>
    public static EnvMapping Parse(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || equals == text.Length - 1)
        {
            throw new ClientConfigurationException($"--env '{text}' is not NAME=SECRET_ID[#JSON_KEY].");
        }

        var name = text[..equals];
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(name[0]))
        {
            throw new ClientConfigurationException($"--env: '{name}' is not an environment variable name.");
        }

        var source = text[(equals + 1)..];
        var hash = source.LastIndexOf('#');
        return hash > 0 && hash < source.Length - 1 ? new EnvMapping(name, source[..hash], source[(hash + 1)..]) : new EnvMapping(name, source, null);
    }

    /// <summary>The variable's value from the secret's value.</summary>
    /// <exception cref="ClientConfigurationException">when the JSON key is missing (the message never shows the value).</exception>
    public string Value(SecretValue secret)
    {
        var text = secret.SecretString ?? (secret.SecretBinary is { } b ? Convert.ToBase64String(b) : string.Empty);
        if (JsonKey is null)
        {
            return text;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(JsonKey, out var field))
            {
                return field.ValueKind == JsonValueKind.String ? field.GetString()! : field.GetRawText();
            }
        }
        catch (JsonException)
        {
            // reported below without the value
        }

        throw new ClientConfigurationException($"--env {Name}: secret {SecretId} has no JSON key '{JsonKey}'.");
    }
}
