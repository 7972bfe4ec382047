using System.Text.Json;

namespace Strongroom.Protocol.Aws;

/// <summary>
/// The secret a Secrets Manager call asked for, from its recorded request parameters (secretId), for the record of a
/// call that was denied or failed and so has no answer to name its resource: a full or partial ARN as given, a name as
/// the partial ARN arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME. A lookup by resource then shows who tried
/// (<see cref="CloudTrail.CloudTrailApi"/> looks a name up under both forms). Total: never throws, it runs after the effect.
/// </summary>
public static class AuditRequestedResource
{
    public const string SecretType = "AWS::SecretsManager::Secret";

    /// <summary>The partial ARN a secret name has in <paramref name="region"/> of <paramref name="accountId"/>.</summary>
    public static string PartialArn(string region, string accountId, string name) => $"arn:aws:secretsmanager:{region}:{accountId}:secret:{name}";

    public static List<(string Arn, string Type)> FromRequest(string? service, string? requestParameters, string region, string accountId)
    {
        var resources = new List<(string, string)>();
        if (service != "secretsmanager" || string.IsNullOrEmpty(requestParameters))
        {
            return resources;
        }

        try
        {
            using var document = JsonDocument.Parse(requestParameters);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("secretId", out var id)
                && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } secretId)
            {
                resources.Add((secretId.StartsWith("arn:", StringComparison.Ordinal) ? secretId : PartialArn(region, accountId, secretId), SecretType));
            }
        }
        catch (JsonException)
        {
            // Bounded parameters that do not parse name no resource; the record is still written.
        }

        return resources;
    }
}
