using System.Text.Json;
using System.Text.Json.Serialization;
using Strongroom.Core.Parameters;

namespace Strongroom.Storage.Relational;

/// <summary>JSON form (format "v":1) of a parameter version's metadata, and of a parameter's labels and tags. No values.</summary>
internal sealed class ParameterMeta
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("v")]
    public int V { get; set; } = 1;

    [JsonPropertyName("version")]
    public long Version { get; set; }

    [JsonPropertyName("type")]
    public string Type { get; set; } = "String";

    [JsonPropertyName("keyId")]
    public string? KeyId { get; set; }

    [JsonPropertyName("description")]
    public string? Description { get; set; }

    [JsonPropertyName("allowedPattern")]
    public string? AllowedPattern { get; set; }

    [JsonPropertyName("tier")]
    public string Tier { get; set; } = "Standard";

    [JsonPropertyName("dataType")]
    public string DataType { get; set; } = "text";

    [JsonPropertyName("policies")]
    public string? Policies { get; set; }

    [JsonPropertyName("modifiedMs")]
    public long ModifiedMs { get; set; }

    [JsonPropertyName("modifiedUser")]
    public string? ModifiedUser { get; set; }

    [JsonPropertyName("labels")]
    public Dictionary<string, long>? Labels { get; set; }

    [JsonPropertyName("tags")]
    public List<SecretMeta.TagDto>? Tags { get; set; }

    public static string Write(ParameterVersionRecord v, ParameterRecord? parameter = null) => JsonSerializer.Serialize(
        new ParameterMeta
        {
            Version = v.Version,
            Type = v.Type,
            KeyId = v.KeyId,
            Description = v.Description,
            AllowedPattern = v.AllowedPattern,
            Tier = v.Tier,
            DataType = v.DataType,
            Policies = v.Policies,
            ModifiedMs = v.LastModifiedDate.ToUnixTimeMilliseconds(),
            ModifiedUser = v.LastModifiedUser,
            Labels = parameter is null || parameter.Labels.Count == 0 ? null : parameter.Labels,
            Tags = parameter is null || parameter.Tags.Count == 0 ? null : parameter.Tags.Select(t => new SecretMeta.TagDto { Key = t.Key, Value = t.Value }).ToList(),
        },
        Options);

    public static (ParameterVersionRecord Version, ParameterMeta Meta) Read(string json, byte[] value)
    {
        var meta = JsonSerializer.Deserialize<ParameterMeta>(json, Options) ?? throw new InvalidDataException("Empty parameter metadata.");
        if (meta.V != 1)
        {
            throw new InvalidDataException($"Unknown parameter metadata format {meta.V}.");
        }

        return (new ParameterVersionRecord
        {
            Version = meta.Version,
            Type = meta.Type,
            Value = value,
            KeyId = meta.KeyId,
            Description = meta.Description,
            AllowedPattern = meta.AllowedPattern,
            Tier = meta.Tier,
            DataType = meta.DataType,
            Policies = meta.Policies,
            LastModifiedDate = DateTimeOffset.FromUnixTimeMilliseconds(meta.ModifiedMs),
            LastModifiedUser = meta.ModifiedUser,
        }, meta);
    }
}
