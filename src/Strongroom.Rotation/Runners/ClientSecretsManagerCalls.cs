using Strongroom.Client;
using Strongroom.Core.Rotation;

namespace Strongroom.Rotation.Runners;

/// <summary>
/// The calls a built-in rotator makes, sent through the ordinary signed API (Strongroom.Client) with
/// the function role's session credentials — so they are authorised and audited like a Lambda
/// function's calls.
/// </summary>
public sealed class ClientSecretsManagerCalls : ISecretsManagerCalls
{
    private readonly SecretsManagerClient _client;

    public ClientSecretsManagerCalls(HttpClient http, Uri endpoint, string region, RotationCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _client = new SecretsManagerClient(new AwsJsonClient(http, endpoint, region, new AwsCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken)));
    }

    public async Task<Rotation.SecretDescription> DescribeSecretAsync(string secretId, CancellationToken ct)
    {
        var d = await Call(() => _client.DescribeSecretAsync(secretId, ct));
        return new Rotation.SecretDescription(d.Arn, d.Name, d.RotationEnabled, d.VersionIdsToStages);
    }

    public async Task<SecretValueResult> GetSecretValueAsync(string secretId, string? versionId, string? versionStage, CancellationToken ct)
    {
        var v = await Call(() => _client.GetSecretValueAsync(secretId, versionId, versionStage, ct));
        return new SecretValueResult(v.Arn, v.VersionId, v.SecretString, v.VersionStages);
    }

    public Task PutSecretValueAsync(string secretId, string clientRequestToken, string secretString, IReadOnlyList<string> versionStages, CancellationToken ct) =>
        Call(() => _client.PutSecretValueAsync(secretId, clientRequestToken, secretString, versionStages, ct));

    public Task UpdateSecretVersionStageAsync(string secretId, string versionStage, string? moveToVersionId, string? removeFromVersionId, CancellationToken ct) =>
        Call(() => _client.UpdateSecretVersionStageAsync(secretId, versionStage, moveToVersionId, removeFromVersionId, ct));

    public Task<string> GetRandomPasswordAsync(string excludeCharacters, CancellationToken ct) =>
        Call(() => _client.GetRandomPasswordAsync(excludeCharacters, ct));

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AwsServiceException e)
        {
            throw new SecretsManagerCallException(e.Code, e.Message);
        }
        catch (HttpRequestException e)
        {
            throw new SecretsManagerCallException("ServiceUnavailable", $"Secrets Manager could not be reached ({e.HttpRequestError}).");
        }
    }
}
