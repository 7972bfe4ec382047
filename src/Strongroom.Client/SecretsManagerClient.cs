using System.Text.Json;

namespace Strongroom.Client;

/// <summary>The Secrets Manager calls a rotation function or an application needs. Thread-safe.</summary>
public sealed class SecretsManagerClient
{
    public const string SigningService = "secretsmanager";
    public const string TargetPrefix = "secretsmanager.";
    private readonly AwsJsonClient _client;

    public SecretsManagerClient(AwsJsonClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    private Task<JsonElement> CallAsync(string operation, object body, CancellationToken ct) => _client.CallAsync(SigningService, TargetPrefix + operation, body, ct);

    public async Task<SecretDescription> DescribeSecretAsync(string secretId, CancellationToken ct = default)
    {
        var r = await CallAsync("DescribeSecret", new { SecretId = secretId }, ct).ConfigureAwait(false);
        var stages = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (r.TryGetProperty("VersionIdsToStages", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var version in map.EnumerateObject())
            {
                stages[version.Name] = version.Value.ValueKind == JsonValueKind.Array ? version.Value.EnumerateArray().Select(s => s.GetString()!).ToList() : [];
            }
        }

        return new SecretDescription(
            Wire.RequiredString(r, "ARN"),
            Wire.RequiredString(r, "Name"),
            Wire.String(r, "Description"),
            Wire.String(r, "KmsKeyId"),
            Wire.Bool(r, "RotationEnabled") ?? false,
            Wire.String(r, "RotationLambdaARN"),
            stages,
            Wire.Date(r, "LastRotatedDate"),
            Wire.Date(r, "NextRotationDate"),
            Wire.Date(r, "DeletedDate"));
    }

    public async Task<SecretValue> GetSecretValueAsync(string secretId, string? versionId = null, string? versionStage = null, CancellationToken ct = default)
    {
        var r = await CallAsync("GetSecretValue", new { SecretId = secretId, VersionId = versionId, VersionStage = versionStage }, ct).ConfigureAwait(false);
        var binary = Wire.String(r, "SecretBinary");
        return new SecretValue(
            Wire.RequiredString(r, "ARN"),
            Wire.RequiredString(r, "Name"),
            Wire.RequiredString(r, "VersionId"),
            Wire.String(r, "SecretString"),
            binary is null ? null : Convert.FromBase64String(binary),
            Wire.StringList(r, "VersionStages"),
            Wire.Date(r, "CreatedDate"));
    }

    /// <param name="versionStages">Labels for the new version; null: AWSCURRENT (the service's default).</param>
    public async Task<SecretVersionResult> PutSecretValueAsync(string secretId, string clientRequestToken, string secretString, IReadOnlyList<string>? versionStages = null, CancellationToken ct = default)
    {
        var r = await CallAsync("PutSecretValue", new { SecretId = secretId, ClientRequestToken = clientRequestToken, SecretString = secretString, VersionStages = versionStages }, ct).ConfigureAwait(false);
        return new SecretVersionResult(Wire.RequiredString(r, "ARN"), Wire.RequiredString(r, "Name"), Wire.RequiredString(r, "VersionId"), Wire.StringList(r, "VersionStages"));
    }

    /// <summary>Moves <paramref name="versionStage"/> to <paramref name="moveToVersionId"/> and/or removes it from <paramref name="removeFromVersionId"/>. Returns the secret's ARN.</summary>
    public async Task<string> UpdateSecretVersionStageAsync(string secretId, string versionStage, string? moveToVersionId = null, string? removeFromVersionId = null, CancellationToken ct = default)
    {
        var r = await CallAsync("UpdateSecretVersionStage", new { SecretId = secretId, VersionStage = versionStage, MoveToVersionId = moveToVersionId, RemoveFromVersionId = removeFromVersionId }, ct).ConfigureAwait(false);
        return Wire.RequiredString(r, "ARN");
    }

    public async Task<string> GetRandomPasswordAsync(RandomPasswordOptions? options = null, CancellationToken ct = default)
    {
        var r = await CallAsync("GetRandomPassword", options ?? new RandomPasswordOptions(), ct).ConfigureAwait(false);
        return Wire.RequiredString(r, "RandomPassword");
    }

    /// <summary>A password without <paramref name="excludeCharacters"/> (the common case in rotation functions).</summary>
    public Task<string> GetRandomPasswordAsync(string excludeCharacters, CancellationToken ct = default) =>
        GetRandomPasswordAsync(new RandomPasswordOptions(ExcludeCharacters: excludeCharacters), ct);
}
