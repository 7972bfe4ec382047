using System.Text.Json;
using System.Text.Json.Serialization;
using Strongroom.Core.Kms;

namespace Strongroom.Storage.Relational;

/// <summary>The JSON form of a KMS key's metadata column (format "v":1). Holds no key material.</summary>
internal sealed class KmsMeta
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("v")]
    public int Version { get; set; } = 1;

    [JsonPropertyName("keyUsage")]
    public string? KeyUsage { get; set; }

    [JsonPropertyName("keySpec")]
    public string? KeySpec { get; set; }

    [JsonPropertyName("origin")]
    public string? Origin { get; set; }

    [JsonPropertyName("pendingWindowInDays")]
    public int? PendingWindowInDays { get; set; }

    [JsonPropertyName("rotationEnabled")]
    public bool? RotationEnabled { get; set; }

    [JsonPropertyName("rotationPeriodInDays")]
    public int? RotationPeriodInDays { get; set; }

    [JsonPropertyName("policy")]
    public string? Policy { get; set; }

    [JsonPropertyName("tags")]
    public List<SecretMeta.TagDto>? Tags { get; set; }

    public static string Write(KmsKeyRecord key) => JsonSerializer.Serialize(
        new KmsMeta
        {
            KeyUsage = key.KeyUsage,
            KeySpec = key.KeySpec,
            Origin = key.Origin,
            PendingWindowInDays = key.PendingWindowInDays,
            RotationEnabled = key.RotationEnabled ? true : null,
            RotationPeriodInDays = key.RotationPeriodInDays,
            Policy = key.Policy,
            Tags = key.Tags.Count == 0 ? null : key.Tags.Select(t => new SecretMeta.TagDto { Key = t.Key, Value = t.Value }).ToList(),
        },
        Options);

    public static void Read(string json, KmsKeyRecord key)
    {
        var meta = JsonSerializer.Deserialize<KmsMeta>(json, Options) ?? new KmsMeta();
        if (meta.Version != 1)
        {
            throw new InvalidDataException($"Unknown KMS key metadata format {meta.Version}.");
        }

        key.KeyUsage = meta.KeyUsage ?? "ENCRYPT_DECRYPT";
        key.KeySpec = meta.KeySpec ?? "SYMMETRIC_DEFAULT";
        key.Origin = meta.Origin ?? "AWS_KMS";
        key.PendingWindowInDays = meta.PendingWindowInDays;
        key.RotationEnabled = meta.RotationEnabled ?? false;
        key.RotationPeriodInDays = meta.RotationPeriodInDays;
        key.Policy = meta.Policy;
        key.Tags = meta.Tags?.Select(t => new KeyValuePair<string, string>(t.Key, t.Value)).ToList() ?? [];
    }
}
