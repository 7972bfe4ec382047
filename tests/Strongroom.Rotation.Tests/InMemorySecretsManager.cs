using System.Security.Cryptography;
using System.Text.Json;

namespace Strongroom.Rotation.Tests;

/// <summary>
/// A Secrets Manager double that models versions and staging labels like AWS: RotateSecret stages an empty
/// AWSPENDING version, GetSecretValue of a version without a value is ResourceNotFoundException, moving AWSCURRENT
/// puts AWSPREVIOUS on the version it left. It remembers every password it has stored or generated, so tests can
/// check no message holds one.
/// </summary>
internal sealed class InMemorySecretsManager : ISecretsManagerCalls
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Secret> secrets = new(StringComparer.Ordinal);
    private readonly HashSet<string> knownPasswords = new(StringComparer.Ordinal);

    /// <summary>Every password in any secret value stored or generated so far.</summary>
    public IReadOnlyCollection<string> KnownPasswords
    {
        get
        {
            lock (gate)
            {
                return [.. knownPasswords];
            }
        }
    }

    public string CreateSecret(string name, string secretString, bool rotationEnabled = true)
    {
        lock (gate)
        {
            string arn = $"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
            var secret = new Secret(arn, name) { RotationEnabled = rotationEnabled };
            secret.Versions[Guid.NewGuid().ToString()] = new Version(secretString, ["AWSCURRENT"]);
            Remember(secretString);
            secrets[arn] = secret;
            return arn;
        }
    }

    /// <summary>What RotateSecret does before it calls the function: a new version holding only AWSPENDING.</summary>
    public string StartRotation(string secretId)
    {
        lock (gate)
        {
            Secret s = Find(secretId);
            string token = Guid.NewGuid().ToString();
            MoveLabel(s, "AWSPENDING", token);
            s.Versions[token] = new Version(null, ["AWSPENDING"]);
            return token;
        }
    }

    /// <summary>What the service does when rotation completes: AWSPENDING comes off.</summary>
    public void CompleteRotation(string secretId)
    {
        lock (gate)
        {
            foreach (Version v in Find(secretId).Versions.Values)
            {
                v.Stages.Remove("AWSPENDING");
            }
        }
    }

    public void SetRotationEnabled(string secretId, bool enabled)
    {
        lock (gate)
        {
            Find(secretId).RotationEnabled = enabled;
        }
    }

    public Task<SecretDescription> DescribeSecretAsync(string secretId, CancellationToken ct)
    {
        lock (gate)
        {
            Secret s = Find(secretId);
            var map = s.Versions.Where(kv => kv.Value.Stages.Count > 0)
                .ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value.Stages], StringComparer.Ordinal);
            return Task.FromResult(new SecretDescription(s.Arn, s.Name, s.RotationEnabled, map));
        }
    }

    public Task<SecretValueResult> GetSecretValueAsync(string secretId, string? versionId, string? versionStage, CancellationToken ct)
    {
        lock (gate)
        {
            Secret s = Find(secretId);
            KeyValuePair<string, Version> hit;
            if (versionId is not null)
            {
                if (!s.Versions.TryGetValue(versionId, out Version? v) || (versionStage is not null && !v.Stages.Contains(versionStage)))
                {
                    throw NotFound($"Secrets Manager can't find the specified secret value for VersionId: {versionId}");
                }

                hit = new(versionId, v);
            }
            else
            {
                string stage = versionStage ?? "AWSCURRENT";
                hit = s.Versions.FirstOrDefault(kv => kv.Value.Stages.Contains(stage));
                if (hit.Value is null)
                {
                    throw NotFound($"Secrets Manager can't find the specified secret value for staging label: {stage}");
                }
            }

            if (hit.Value.SecretString is null)
            {
                throw NotFound($"Secrets Manager can't find the specified secret value for VersionId: {hit.Key}");
            }

            return Task.FromResult(new SecretValueResult(s.Arn, hit.Key, hit.Value.SecretString, [.. hit.Value.Stages]));
        }
    }

    public Task PutSecretValueAsync(string secretId, string clientRequestToken, string secretString, IReadOnlyList<string> versionStages, CancellationToken ct)
    {
        lock (gate)
        {
            Secret s = Find(secretId);
            Remember(secretString);
            if (s.Versions.TryGetValue(clientRequestToken, out Version? existing) && existing.SecretString is not null)
            {
                if (existing.SecretString != secretString)
                {
                    throw new SecretsManagerCallException("ResourceExistsException", "You can't modify an existing version, you can only create a new version.");
                }

                return Task.CompletedTask;
            }

            foreach (string stage in versionStages)
            {
                MoveLabel(s, stage, clientRequestToken);
            }

            var stages = new HashSet<string>(versionStages, StringComparer.Ordinal);
            if (existing is not null)
            {
                stages.UnionWith(existing.Stages);
            }

            s.Versions[clientRequestToken] = new Version(secretString, stages);
            return Task.CompletedTask;
        }
    }

    public Task UpdateSecretVersionStageAsync(string secretId, string versionStage, string? moveToVersionId, string? removeFromVersionId, CancellationToken ct)
    {
        lock (gate)
        {
            Secret s = Find(secretId);
            string? holder = s.Versions.FirstOrDefault(kv => kv.Value.Stages.Contains(versionStage)).Key;
            if (holder is not null && moveToVersionId is not null && holder != moveToVersionId && holder != removeFromVersionId)
            {
                throw new SecretsManagerCallException("InvalidParameterException",
                    $"The parameter RemoveFromVersionId can't be empty. Staging label {versionStage} is currently attached to version {holder}");
            }

            if (removeFromVersionId is not null)
            {
                if (!s.Versions.TryGetValue(removeFromVersionId, out Version? from) || !from.Stages.Contains(versionStage))
                {
                    throw new SecretsManagerCallException("InvalidParameterException", $"Staging label {versionStage} is not attached to version {removeFromVersionId}");
                }

                from.Stages.Remove(versionStage);
            }

            if (moveToVersionId is not null)
            {
                if (!s.Versions.TryGetValue(moveToVersionId, out Version? to))
                {
                    throw NotFound($"Secrets Manager can't find the specified secret version {moveToVersionId}");
                }

                to.Stages.Add(versionStage);
                if (versionStage == "AWSCURRENT" && removeFromVersionId is not null && removeFromVersionId != moveToVersionId)
                {
                    MoveLabel(s, "AWSPREVIOUS", removeFromVersionId);
                    s.Versions[removeFromVersionId].Stages.Add("AWSPREVIOUS");
                }
            }

            return Task.CompletedTask;
        }
    }

    public Task<string> GetRandomPasswordAsync(string excludeCharacters, CancellationToken ct)
    {
        // Printable ASCII minus the excluded characters: keeps `$;%&<>|` and the like, which quoting must survive.
        char[] alphabet = [.. Enumerable.Range(33, 94).Select(i => (char)i).Where(ch => !excludeCharacters.Contains(ch, StringComparison.Ordinal))];
        string password = new(RandomNumberGenerator.GetItems<char>(alphabet, 32));
        lock (gate)
        {
            knownPasswords.Add(password);
        }

        return Task.FromResult(password);
    }

    private static SecretsManagerCallException NotFound(string message) => new("ResourceNotFoundException", message);

    private static void MoveLabel(Secret s, string stage, string toVersion)
    {
        foreach ((string id, Version v) in s.Versions)
        {
            if (id != toVersion)
            {
                v.Stages.Remove(stage);
            }
        }
    }

    private Secret Find(string secretId) =>
        secrets.TryGetValue(secretId, out Secret? s) ? s
        : secrets.Values.FirstOrDefault(x => x.Name == secretId)
          ?? throw NotFound("Secrets Manager can't find the specified secret.");

    private void Remember(string secretString)
    {
        try
        {
            using var doc = JsonDocument.Parse(secretString);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("password", out JsonElement p) && p.ValueKind == JsonValueKind.String)
            {
                knownPasswords.Add(p.GetString()!);
            }
        }
        catch (JsonException)
        {
            // Not JSON: nothing to remember (tests of malformed secrets list their own values).
        }
    }

    private sealed class Secret(string arn, string name)
    {
        public string Arn { get; } = arn;

        public string Name { get; } = name;

        public bool RotationEnabled { get; set; }

        public Dictionary<string, Version> Versions { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Version(string? secretString, IEnumerable<string> stages)
    {
        public string? SecretString { get; } = secretString;

        public HashSet<string> Stages { get; } = new(stages, StringComparer.Ordinal);
    }
}
