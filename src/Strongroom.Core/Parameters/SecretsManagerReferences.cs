using System.Text.Json;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using static Strongroom.Core.Parameters.ParameterErrors;
using static Strongroom.Core.Parameters.ParameterNames;

namespace Strongroom.Core.Parameters;

/// <summary>The read-only /aws/reference/secretsmanager/ bridge: a Secrets Manager secret read as a SecureString parameter.</summary>
internal sealed class SecretsManagerReferences
{
    private readonly SecretsService _secrets;

    internal SecretsManagerReferences(SecretsService secrets)
    {
        _secrets = secrets;
    }

    internal async Task<ParameterValue> GetSecretReferenceAsync(string region, string name, string? selector, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        if (!withDecryption)
        {
            throw Validation("WithDecryption flag must be True for retrieving a Secret Manager secret.");
        }

        var secretId = name[ReferencePrefix.Length..];
        string? versionId = null, stage = null;
        if (selector is not null)
        {
            (versionId, stage) = selector.Length >= 32 && selector.Contains('-', StringComparison.Ordinal) ? (selector, (string?)null) : (null, selector);
        }

        // The same checks as a GetSecretValue of the secret itself (its tags, stage and version keys, its resource
        // policy, kms:Decrypt on its key), made before the secret is looked up so a denial reveals nothing.
        if (await access.SecretReadDeniedAsync(region, secretId, versionId, stage, ct) is { } denied)
        {
            throw new DomainException(ErrorKind.AccessDenied, denied);
        }

        SecretValueResult result;
        try
        {
            result = await _secrets.Reads.GetSecretValueAsync(region, secretId, versionId, stage, ct);
        }
        catch (DomainException e) when (e.Kind == ErrorKind.ResourceNotFound)
        {
            throw selector is null ? NotFound(name) : Error("ParameterVersionNotFound", $"Systems Manager could not find version {selector} of {name}.");
        }

        using (result)
        {
            var value = result.Value.Text ?? Convert.ToBase64String(result.Value.Binary!);
            var source = new Dictionary<string, object?>
            {
                ["CreatedDate"] = result.Version.CreatedDate.ToUnixTimeMilliseconds() / 1000m,
                ["Name"] = result.Secret.Name,
                ["VersionId"] = result.Version.VersionId,
                ["SecretString"] = result.Value.Text,
                ["SecretBinary"] = result.Value.Binary is null ? null : Convert.ToBase64String(result.Value.Binary),
                ["VersionStages"] = result.Version.Stages,
                ["ARN"] = result.Secret.Arn,
            };
            return new ParameterValue(name, "SecureString", value, 0, selector is null ? null : ":" + selector,
                JsonSerializer.Serialize(source.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value)),
                result.Version.CreatedDate, result.Secret.Arn, "text");
        }
    }
}
