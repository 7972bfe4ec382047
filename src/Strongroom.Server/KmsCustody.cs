using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Strongroom.Crypto;

namespace Strongroom.Server;

/// <summary>
/// Auto-unseal through a KMS of another deployment (another Strongroom, or AWS KMS): the root key is kept in
/// root.key.kms only as the ciphertext of a KMS Encrypt under <see cref="RootKeyOptions.KmsKeyId"/>, with the encryption
/// context {"strongroom:root-key": DEPLOYMENT}, DEPLOYMENT being an id made for this data directory. At start the server
/// calls Decrypt with that context; credentials come from the AWS SDK's standard chain (environment, shared files,
/// web identity, container and instance roles). A refusal or an unreachable KMS leaves the server sealed, saying why.
/// </summary>
public static class KmsCustody
{
    public const string ContextKey = "strongroom:root-key";

    public static CustodyState Wrap(RootKeyOptions options, RootKey key)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        var keyId = options.KmsKeyId ?? throw new RootKeyUnavailableException("--root-key kms needs --root-key-kms-key-id (the KMS key that wraps the root key)");
        var state = new CustodyState
        {
            Mode = "kms",
            Fingerprint = key.Fingerprint(),
            KeyId = keyId,
            EndpointUrl = options.KmsEndpointUrl,
            Region = Region(options.KmsRegion, keyId),
            Deployment = Guid.NewGuid().ToString("N"),
        };
        var plaintext = key.Use(bytes => bytes.ToArray());
        try
        {
            using var client = Client(state);
            var response = Call(state, () => client.EncryptAsync(new EncryptRequest
            {
                KeyId = keyId,
                Plaintext = new MemoryStream(plaintext, writable: false),
                EncryptionContext = new Dictionary<string, string> { [ContextKey] = state.Deployment },
            }));
            state.KeyId = response.KeyId ?? keyId;
            state.Ciphertext = Convert.ToBase64String(response.CiphertextBlob.ToArray());
            return state;
        }
        catch (RootKeySealedException e)
        {
            throw new RootKeyUnavailableException(e.Message);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Decrypts the root key; <see cref="RootKeySealedException"/> (retrying) when the KMS cannot be reached or refuses.</summary>
    public static RootKey Unwrap(CustodyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var client = Client(state);
        var response = Call(state, () => client.DecryptAsync(new DecryptRequest
        {
            KeyId = state.KeyId,
            CiphertextBlob = new MemoryStream(Convert.FromBase64String(state.Ciphertext ?? string.Empty)),
            EncryptionContext = new Dictionary<string, string> { [ContextKey] = state.Deployment ?? string.Empty },
        }));
        using var plaintext = response.Plaintext;
        var bytes = plaintext.ToArray();
        try
        {
            if (plaintext.TryGetBuffer(out var buffer))
            {
                CryptographicOperations.ZeroMemory(buffer.AsSpan());
            }

            var key = bytes.Length == AesGcmSeal.KeySize ? new RootKey(bytes) : throw new RootKeyUnavailableException($"the KMS returned {bytes.Length} bytes for the root key; a root key is 32");
            if (key.Fingerprint() != state.Fingerprint)
            {
                key.Dispose();
                throw new RootKeyUnavailableException($"the KMS returned a key whose fingerprint is not {state.Fingerprint} (recorded in root.key.kms)");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static string Region(string? region, string keyId)
    {
        if (region is not null)
        {
            return region;
        }

        var parts = keyId.Split(':');
        return parts.Length > 3 && parts[0] == "arn" && parts[3].Length > 0 ? parts[3]
            : Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
    }

    private static AmazonKeyManagementServiceClient Client(CustodyState state)
    {
        var config = new AmazonKeyManagementServiceConfig
        {
            Timeout = TimeSpan.FromSeconds(10),
            MaxErrorRetry = 1,
            AuthenticationRegion = state.Region,
        };
        if (state.EndpointUrl is not null)
        {
            config.ServiceURL = state.EndpointUrl;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(state.Region);
        }

        try
        {
            return new AmazonKeyManagementServiceClient(config);
        }
        catch (Amazon.Runtime.AmazonClientException e)
        {
            throw new RootKeySealedException($"no AWS credentials for the KMS at {Where(state)}: {e.Message}") { Retries = true };
        }
    }

    private static string Where(CustodyState state) => $"{state.EndpointUrl ?? "AWS KMS " + state.Region} (key {state.KeyId})";

    private static T Call<T>(CustodyState state, Func<Task<T>> call)
    {
        try
        {
            // Start-up is synchronous here (the custody providers are); no synchronisation context runs in this process.
            return Task.Run(call).GetAwaiter().GetResult();
        }
        catch (AmazonKeyManagementServiceException e)
        {
            throw new RootKeySealedException($"the KMS at {Where(state)} refused to unwrap the root key: {e.ErrorCode}: {e.Message}") { Retries = true };
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException or TaskCanceledException or TimeoutException or IOException)
        {
            throw new RootKeySealedException($"the KMS at {Where(state)} cannot be reached or refused: {e.Message}") { Retries = true };
        }
    }
}
