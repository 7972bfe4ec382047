using System.Text.Json;

namespace Strongroom.Client;

/// <summary>The Secrets Manager calls a rotation function or an application needs. Thread-safe.</summary>
public sealed class SecretsManagerClient
{
    public const string SigningService = "secretsmanager";
    public const string TargetPrefix = "secretsmanager.";

    /// <summary>Strongroom's own operations (X-Amz-Target "Strongroom.*") are signed for this service.</summary>
    public const string StrongroomSigningService = "strongroom";
    public const string StrongroomTargetPrefix = "Strongroom.";
    private readonly AwsJsonClient _client;

    public SecretsManagerClient(AwsJsonClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>The server this client calls.</summary>
    public Uri Endpoint => _client.Endpoint;

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

    /// <summary>The names of the secrets whose name starts with <paramref name="namePrefix"/> (ListSecrets' name filter, every page).</summary>
    public async Task<IReadOnlyList<string>> ListSecretNamesAsync(string namePrefix, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(namePrefix);
        var names = new List<string>();
        string? next = null;
        do
        {
            var r = await CallAsync("ListSecrets", new { Filters = new[] { new { Key = "name", Values = new[] { namePrefix } } }, MaxResults = 100, NextToken = next }, ct).ConfigureAwait(false);
            names.AddRange(Wire.Array(r, "SecretList").Select(s => Wire.String(s, "Name")).OfType<string>().Where(n => n.StartsWith(namePrefix, StringComparison.Ordinal)));
            next = Wire.String(r, "NextToken");
        }
        while (next is not null);
        return names;
    }

    /// <summary>
    /// Strongroom.WatchSecrets (Strongroom only; AWS answers it with an error): waits up to <paramref name="wait"/> for
    /// the AWSCURRENT of any of <paramref name="known"/> (secret id → the version id the caller holds, null: none) to be
    /// another version, and answers at once when one already is. Each secret needs secretsmanager:DescribeSecret.
    /// </summary>
    public async Task<SecretWatchResult> WatchSecretsAsync(IReadOnlyDictionary<string, string?> known, TimeSpan wait, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(known);
        var body = new { Secrets = known.Select(p => new { SecretId = p.Key, VersionId = p.Value }).ToList(), WaitTimeSeconds = (int)Math.Ceiling(wait.TotalSeconds) };
        var r = await _client.CallAsync(StrongroomSigningService, StrongroomTargetPrefix + "WatchSecrets", body, ct).ConfigureAwait(false);
        return new SecretWatchResult(
            Wire.Array(r, "Changed").Select(c => new SecretChange(Wire.RequiredString(c, "SecretId"), Wire.RequiredString(c, "ARN"), Wire.RequiredString(c, "VersionId"))).ToList(),
            Wire.Array(r, "Errors").Select(e => new SecretWatchError(Wire.RequiredString(e, "SecretId"), Wire.RequiredString(e, "ErrorCode"), Wire.String(e, "Message") ?? string.Empty)).ToList());
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
