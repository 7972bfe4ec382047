using System.Text;
using System.Text.Json;

namespace Strongroom.Protocol.Aws;

/// <summary>
/// Turns a wire request and answer into the parts of an audit record CloudTrail shows: request parameters
/// (camelCase member names, every sensitive member left out), response elements (identifiers only), the
/// resources named, and whether the call only reads.
/// </summary>
public static class AuditShape
{
    // Members the service models mark sensitive, plus blobs that carry key material or ciphertext.
    private static readonly HashSet<string> Sensitive = new(StringComparer.Ordinal)
    {
        "SecretString", "SecretBinary", "RandomPassword", "RotationToken", "Plaintext", "CiphertextBlob",
        "CiphertextForRecipient", "SecretAccessKey", "Password", "SourceResult",
        // Strongroom admin API: a rotation function's environment may hold credentials; its HMAC key is a secret.
        "Environment", "HmacKey",
    };

    private static readonly HashSet<string> ReadOnlyKms = new(StringComparer.Ordinal)
    {
        "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom",
    };

    public static bool IsReadOnly(string service, string operation) =>
        operation.StartsWith("Get", StringComparison.Ordinal) || operation.StartsWith("Describe", StringComparison.Ordinal)
        || operation.StartsWith("List", StringComparison.Ordinal) || operation.StartsWith("BatchGet", StringComparison.Ordinal)
        || operation.StartsWith("Lookup", StringComparison.Ordinal) || operation.StartsWith("Validate", StringComparison.Ordinal)
        || (service == "kms" && ReadOnlyKms.Contains(operation))
        || (service == "strongroom" && operation == "VerifyAuditTrail");

    /// <summary>The request's members as CloudTrail shows them, or null when the body is not a JSON object.</summary>
    public static string? RequestParameters(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                Copy(document.RootElement, writer, topLevel: true);
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Copy(JsonElement element, Utf8JsonWriter writer, bool topLevel = false)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    // A parameter's Value is secret at the top level; inside tags "Value" is only a tag value.
                    if (Sensitive.Contains(property.Name) || (topLevel && property.Name == "Value"))
                    {
                        continue;
                    }

                    writer.WritePropertyName(CamelCase(property.Name));
                    Copy(property.Value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Copy(item, writer);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static string CamelCase(string name) =>
        name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>Identifiers from a successful answer (ARN, name, version, key), for writes; null otherwise.</summary>
    public static (string? ResponseElements, List<(string Arn, string Type)> Resources) FromResponse(string service, ReadOnlyMemory<byte> output, bool readOnly)
    {
        var resources = new List<(string, string)>();
        if (output.IsEmpty)
        {
            return (null, resources);
        }

        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        var elements = new Dictionary<string, string>(StringComparer.Ordinal);
        void Take(JsonElement parent, string member, string name)
        {
            if (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.String)
            {
                elements[name] = value.GetString()!;
            }
        }

        Take(root, "ARN", "arn");
        Take(root, "Name", "name");
        Take(root, "VersionId", "versionId");
        Take(root, "KeyId", "keyId");
        if (root.TryGetProperty("KeyMetadata", out var metadata))
        {
            Take(metadata, "Arn", "keyArn");
        }

        if (elements.TryGetValue("arn", out var arn) && service == "secretsmanager")
        {
            resources.Add((arn, "AWS::SecretsManager::Secret"));
        }

        var keyArn = elements.GetValueOrDefault("keyArn") ?? elements.GetValueOrDefault("keyId");
        if (keyArn is not null && keyArn.StartsWith("arn:aws:kms:", StringComparison.Ordinal))
        {
            resources.Add((keyArn, "AWS::KMS::Key"));
        }

        if (readOnly || elements.Count == 0)
        {
            return (null, resources);
        }

        return (JsonSerializer.Serialize(elements), resources);
    }
}
