using System.Text.Json;
using System.Text.Json.Serialization;
using Strongroom.Core.Secrets;

namespace Strongroom.Storage.Relational;

/// <summary>
/// The JSON form of a secret's metadata column (format "v":1). Holds no secret values. Frozen by a golden
/// test: add members, never rename or retype them.
/// </summary>
internal sealed class SecretMeta
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("v")]
    public int Version { get; set; } = 1;

    [JsonPropertyName("description")]
    public string? Description { get; set; }

    [JsonPropertyName("kmsKeyId")]
    public string? KmsKeyId { get; set; }

    [JsonPropertyName("lastRotatedMs")]
    public long? LastRotatedMs { get; set; }

    [JsonPropertyName("nextRotationMs")]
    public long? NextRotationMs { get; set; }

    [JsonPropertyName("rotationEnabled")]
    public bool? RotationEnabled { get; set; }

    [JsonPropertyName("rotationLambdaArn")]
    public string? RotationLambdaArn { get; set; }

    [JsonPropertyName("rotationRules")]
    public RulesDto? RotationRules { get; set; }

    [JsonPropertyName("resourcePolicy")]
    public string? ResourcePolicy { get; set; }

    [JsonPropertyName("tags")]
    public List<TagDto>? Tags { get; set; }

    [JsonPropertyName("primaryRegion")]
    public string? PrimaryRegion { get; set; }

    [JsonPropertyName("replicas")]
    public List<ReplicaDto>? Replicas { get; set; }

    [JsonPropertyName("owningService")]
    public string? OwningService { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    public static string Write(SecretRecord s)
    {
        var meta = new SecretMeta
        {
            Description = s.Description,
            KmsKeyId = s.KmsKeyId,
            LastRotatedMs = s.LastRotatedDate?.ToUnixTimeMilliseconds(),
            NextRotationMs = s.NextRotationDate?.ToUnixTimeMilliseconds(),
            RotationEnabled = s.RotationEnabled,
            RotationLambdaArn = s.RotationLambdaArn,
            RotationRules = s.RotationRules is null ? null : new RulesDto { AutomaticallyAfterDays = s.RotationRules.AutomaticallyAfterDays, Duration = s.RotationRules.Duration, ScheduleExpression = s.RotationRules.ScheduleExpression },
            ResourcePolicy = s.ResourcePolicy,
            // An empty list (not null) records that every tag was removed: AWS then shows "Tags": [].
            Tags = s.ShowsTags ? s.Tags.Select(t => new TagDto { Key = t.Key, Value = t.Value }).ToList() : null,
            PrimaryRegion = s.PrimaryRegion,
            Replicas = s.Replicas.Count == 0 ? null : s.Replicas.Select(r => new ReplicaDto { Region = r.Region, KmsKeyId = r.KmsKeyId, Status = r.Status, StatusMessage = r.StatusMessage, LastAccessedMs = r.LastAccessedDate?.ToUnixTimeMilliseconds() }).ToList(),
            OwningService = s.OwningService,
            Type = s.Type,
        };
        return JsonSerializer.Serialize(meta, Options);
    }

    public static void Read(string json, SecretRecord s)
    {
        var meta = JsonSerializer.Deserialize<SecretMeta>(json, Options) ?? new SecretMeta();
        if (meta.Version != 1)
        {
            throw new InvalidDataException($"Unknown secret metadata format {meta.Version}.");
        }

        s.Description = meta.Description;
        s.KmsKeyId = meta.KmsKeyId;
        s.LastRotatedDate = FromMs(meta.LastRotatedMs);
        s.NextRotationDate = FromMs(meta.NextRotationMs);
        s.RotationEnabled = meta.RotationEnabled;
        s.RotationLambdaArn = meta.RotationLambdaArn;
        s.RotationRules = meta.RotationRules is null ? null : new RotationRules(meta.RotationRules.AutomaticallyAfterDays, meta.RotationRules.Duration, meta.RotationRules.ScheduleExpression);
        s.ResourcePolicy = meta.ResourcePolicy;
        s.Tags = meta.Tags?.Select(t => new SecretTag(t.Key, t.Value)).ToList() ?? [];
        s.HasTagList = meta.Tags is not null;
        s.PrimaryRegion = meta.PrimaryRegion;
        s.Replicas = meta.Replicas?.Select(r => new ReplicaStatus { Region = r.Region, KmsKeyId = r.KmsKeyId, Status = r.Status, StatusMessage = r.StatusMessage, LastAccessedDate = FromMs(r.LastAccessedMs) }).ToList() ?? [];
        s.OwningService = meta.OwningService;
        s.Type = meta.Type;
    }

    internal static DateTimeOffset? FromMs(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);

    internal sealed class RulesDto
    {
        [JsonPropertyName("automaticallyAfterDays")]
        public long? AutomaticallyAfterDays { get; set; }

        [JsonPropertyName("duration")]
        public string? Duration { get; set; }

        [JsonPropertyName("scheduleExpression")]
        public string? ScheduleExpression { get; set; }
    }

    internal sealed class TagDto
    {
        [JsonPropertyName("key")]
        public string Key { get; set; } = string.Empty;

        [JsonPropertyName("value")]
        public string Value { get; set; } = string.Empty;
    }

    internal sealed class ReplicaDto
    {
        [JsonPropertyName("region")]
        public string Region { get; set; } = string.Empty;

        [JsonPropertyName("kmsKeyId")]
        public string? KmsKeyId { get; set; }

        [JsonPropertyName("status")]
        public string Status { get; set; } = string.Empty;

        [JsonPropertyName("statusMessage")]
        public string? StatusMessage { get; set; }

        [JsonPropertyName("lastAccessedMs")]
        public long? LastAccessedMs { get; set; }
    }
}
