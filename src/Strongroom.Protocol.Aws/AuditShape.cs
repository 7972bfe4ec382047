using System.Text;
using System.Text.Json;

namespace Strongroom.Protocol.Aws;

/// <summary>
/// Turns a wire request and answer into the parts of an audit record CloudTrail shows: request parameters
/// (camelCase member names, only the operation's own members, every sensitive member left out, each bounded),
/// response elements (identifiers only), the resources named, and whether the call only reads. The bounds and the
/// marking of what was cut are docs/adr/0013's; they apply above the store, so both stores keep the same records.
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

    /// <summary>Query-protocol members that are secrets (STS's web identity token and SAML assertion): never audited.</summary>
    public static readonly IReadOnlySet<string> SensitiveQueryMembers = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "WebIdentityToken", "SAMLAssertion" };

    private static readonly HashSet<string> ReadOnlyKms = new(StringComparer.Ordinal)
    {
        "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom",
    };

    public static bool IsReadOnly(string service, string operation) =>
        operation.StartsWith("Get", StringComparison.Ordinal) || operation.StartsWith("Describe", StringComparison.Ordinal)
        || operation.StartsWith("List", StringComparison.Ordinal) || operation.StartsWith("BatchGet", StringComparison.Ordinal)
        || operation.StartsWith("Lookup", StringComparison.Ordinal) || operation.StartsWith("Validate", StringComparison.Ordinal)
        || (service == "kms" && ReadOnlyKms.Contains(operation))
        || (service == "strongroom" && operation is "VerifyAuditTrail" or "WatchSecrets");

    /// <summary>Most characters of one string (or member name) copied into a record; longer ones are cut and marked.</summary>
    public const int MaxStringChars = 1024;

    /// <summary>Most items of one list, or members of one nested structure or map, copied into a record.</summary>
    public const int MaxItems = 50;

    /// <summary>Deepest nesting copied below a top-level member; deeper values become a marker string.</summary>
    public const int MaxNesting = 6;

    /// <summary>
    /// Bound on a record's requestParameters (UTF-8 bytes): members are copied while the copy is under it, the rest
    /// are named in <see cref="TruncatedMember"/>. One more string may finish past it, so the text stays under ~24 KiB.
    /// </summary>
    public const int MaxRequestParametersBytes = 16 * 1024;

    /// <summary>The member of requestParameters that lists the (top-level, camelCase) members cut short or left out.</summary>
    public const string TruncatedMember = "strongroomTruncated";

    private const int MaxNumberChars = 64;

    /// <summary>
    /// The request's members as CloudTrail shows them, built from the input decoded at the edge, before the call runs:
    /// only the operation's own members (<see cref="WireMembers"/>), never a sensitive one, each bounded (see the
    /// constants above); null when no model names the operation. Total: it cannot fail on input that
    /// <see cref="Json.JsonInput.Parse"/> accepted.
    /// </summary>
    public static string? RequestParameters(string service, string operation, Json.JsonInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (WireMembers.Of(service, operation) is not { } members)
        {
            return null;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        List<string>? truncated = null;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in input.Root.EnumerateObject())
            {
                // A parameter's Value is secret at the top level; inside tags "Value" is only a tag value.
                if (!members.TryGetValue(property.Name, out var sensitive) || sensitive || Sensitive.Contains(property.Name) || property.Name == "Value")
                {
                    continue;
                }

                var name = CamelCase(property.Name);
                if (Size(writer) > MaxRequestParametersBytes)
                {
                    Mark(ref truncated, name);
                    continue;
                }

                writer.WritePropertyName(name);
                if (!Copy(property.Value, writer, 1))
                {
                    Mark(ref truncated, name);
                }
            }

            WriteTruncated(writer, truncated);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The same for a Query (IAM, STS) request: its own members only (Name.member.N and Name.Key forms included, by their
    /// first part), in CloudTrail's flat camelCase shape, bounded; null when no model names the operation.
    /// </summary>
    public static string? RequestParameters(string service, string operation, Iam.QueryRequest query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (WireMembers.Of(service, operation) is not { } members)
        {
            return null;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        List<string>? truncated = null;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in query.All)
            {
                var dot = key.IndexOf('.', StringComparison.Ordinal);
                var top = dot < 0 ? key : key[..dot];
                if (!members.TryGetValue(top, out var sensitive) || sensitive || Sensitive.Contains(top) || SensitiveQueryMembers.Contains(top))
                {
                    continue;
                }

                var name = CamelCase(Cut(key, 256, out _));
                if (Size(writer) > MaxRequestParametersBytes)
                {
                    Mark(ref truncated, CamelCase(top));
                    continue;
                }

                writer.WriteString(name, Cut(value, MaxStringChars, out var cut));
                if (cut)
                {
                    Mark(ref truncated, CamelCase(top));
                }
            }

            WriteTruncated(writer, truncated);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary><paramref name="text"/> cut to <paramref name="max"/> characters (never inside a surrogate pair) and ended with "…" when longer.</summary>
    public static string Cut(string text, int max, out bool cut)
    {
        ArgumentNullException.ThrowIfNull(text);
        cut = text.Length > max;
        if (!cut)
        {
            return text;
        }

        var keep = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, keep), "\u2026");
    }

    private static string CamelCase(string name) =>
        name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static long Size(Utf8JsonWriter writer) => writer.BytesCommitted + writer.BytesPending;

    private static void Mark(ref List<string>? truncated, string name)
    {
        truncated ??= [];
        if (truncated.Count < 64 && !truncated.Contains(name))
        {
            truncated.Add(name);
        }
    }

    private static void WriteTruncated(Utf8JsonWriter writer, List<string>? truncated)
    {
        if (truncated is null)
        {
            return;
        }

        writer.WriteStartArray(TruncatedMember);
        foreach (var name in truncated)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
    }

    /// <summary>Copies one value within the bounds; false when anything in it was cut or left out.</summary>
    private static bool Copy(JsonElement element, Utf8JsonWriter writer, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when depth > MaxNesting:
            case JsonValueKind.Array when depth > MaxNesting:
                writer.WriteStringValue("\u2026");
                return false;
            case JsonValueKind.Object:
            {
                var complete = true;
                var count = 0;
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    if (Sensitive.Contains(property.Name))
                    {
                        continue;
                    }

                    if (++count > MaxItems || Size(writer) > MaxRequestParametersBytes)
                    {
                        complete = false;
                        break;
                    }

                    writer.WritePropertyName(CamelCase(Cut(property.Name, 256, out var cutName)));
                    complete &= !cutName & Copy(property.Value, writer, depth + 1);
                }

                writer.WriteEndObject();
                return complete;
            }

            case JsonValueKind.Array:
            {
                var complete = true;
                var count = 0;
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    if (++count > MaxItems || Size(writer) > MaxRequestParametersBytes)
                    {
                        complete = false;
                        break;
                    }

                    complete &= Copy(item, writer, depth + 1);
                }

                writer.WriteEndArray();
                return complete;
            }

            case JsonValueKind.String:
                writer.WriteStringValue(Cut(element.GetString()!, MaxStringChars, out var cut));
                return !cut;
            case JsonValueKind.Number when System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element).Length > MaxNumberChars:
                writer.WriteStringValue("\u2026");
                return false;
            default:
                element.WriteTo(writer);
                return true;
        }
    }

    /// <summary>
    /// Identifiers from a successful answer (ARN, name, version, key), for writes; null otherwise. Reads the answer the
    /// call wrote with a forward-only reader that never materialises other members (a secret value is skipped over,
    /// not copied). Total: an answer it cannot read yields what was read so far, never an exception, because it runs
    /// after the effect.
    /// </summary>
    public static (string? ResponseElements, List<(string Arn, string Type)> Resources) FromResponse(string service, ReadOnlyMemory<byte> output, bool readOnly)
    {
        var resources = new List<(string, string)>();
        if (output.IsEmpty)
        {
            return (null, resources);
        }

        var elements = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(output.Span);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.ValueTextEquals("ARN"u8) ? "arn"
                        : reader.ValueTextEquals("Name"u8) ? "name"
                        : reader.ValueTextEquals("VersionId"u8) ? "versionId"
                        : reader.ValueTextEquals("KeyId"u8) ? "keyId"
                        : reader.ValueTextEquals("KeyMetadata"u8) ? "keyMetadata"
                        : null;
                    reader.Read();
                    if (name == "keyMetadata" && reader.TokenType == JsonTokenType.StartObject)
                    {
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var isArn = reader.ValueTextEquals("Arn"u8);
                            reader.Read();
                            if (isArn && reader.TokenType == JsonTokenType.String)
                            {
                                elements["keyArn"] = Cut(reader.GetString()!, 2048, out _);
                            }

                            reader.Skip();
                        }
                    }
                    else if (name is not null && reader.TokenType == JsonTokenType.String)
                    {
                        elements[name] = Cut(reader.GetString()!, 2048, out _);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Keep what was read: the record must still be written.
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
