using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Xunit;

namespace Strongroom.E2E.Sdk;

/// <summary>What disabled keys, keys pending deletion and the AWS managed key refuse (kms-api.md §3.3, §3.8).</summary>
public sealed class KeyStateTests : KmsTestBase
{
    private IEnumerable<(string Op, Func<Task> Call)> CryptoCalls(string keyId, byte[] blob)
    {
        yield return ("Encrypt", () => EncryptAsync(keyId, [1]));
        yield return ("Decrypt", () => DecryptAsync(blob));
        yield return ("GenerateDataKey", () => Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 }));
        yield return ("GenerateDataKeyWithoutPlaintext", () => Kms.GenerateDataKeyWithoutPlaintextAsync(
            new GenerateDataKeyWithoutPlaintextRequest { KeyId = keyId, NumberOfBytes = 32 }));
        yield return ("ReEncrypt", async () =>
        {
            using var input = Blob(blob);
            await Kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = input, DestinationKeyId = keyId });
        });
    }

    [Fact]
    public async Task DisabledKey_CryptoCalls_DisabledExceptionWithArnMessage()
    {
        var meta = await CreateKeyAsync();
        var alias = await CreateAliasAsync(meta.KeyId);
        var blob = await EncryptAsync(meta.KeyId, [4, 2]);
        await Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = meta.KeyId });
        foreach (var id in new[] { meta.KeyId, alias })
        {
            foreach (var (op, call) in CryptoCalls(id, blob))
            {
                var ex = await AssertAwsErrorAsync<DisabledException>("DisabledException", call);
                Assert.True(ex.Message == $"{meta.Arn} is disabled.", $"{op} via {id}: message {ex.Message}");
            }
        }

        Assert.Equal(KeyState.Disabled, (await DescribeAsync(alias)).KeyState);
        await AssertAwsErrorAsync<DisabledException>("DisabledException",
            () => Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = meta.KeyId }));
        await Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = meta.KeyId });
        Assert.Equal(new byte[] { 4, 2 }, (await DecryptAsync(blob)).Plaintext.ToArray());
    }

    [Fact]
    public async Task PendingDeletion_CryptoCalls_KMSInvalidStateWithArnMessage()
    {
        var meta = await CreateKeyAsync();
        var alias = await CreateAliasAsync(meta.KeyId);
        var blob = await EncryptAsync(meta.KeyId, [4, 2]);
        await Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = meta.KeyId, PendingWindowInDays = 7 });
        foreach (var id in new[] { meta.KeyId, alias })
        {
            foreach (var (op, call) in CryptoCalls(id, blob))
            {
                var ex = await AssertAwsErrorAsync<KMSInvalidStateException>("KMSInvalidStateException", call);
                Assert.True(ex.Message == $"{meta.Arn} is pending deletion.", $"{op} via {id}: message {ex.Message}");
            }
        }

        Assert.Equal(KeyState.PendingDeletion, (await DescribeAsync(meta.Arn)).KeyState);
        await AssertAwsErrorAsync<KMSInvalidStateException>("KMSInvalidStateException",
            () => Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = meta.KeyId }));
        await AssertAwsErrorAsync<KMSInvalidStateException>("KMSInvalidStateException",
            () => Kms.TagResourceAsync(new TagResourceRequest { KeyId = meta.KeyId, Tags = [new Tag { TagKey = "a", TagValue = "b" }] }));
        await Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = meta.KeyId });
        await Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = meta.KeyId });
        Assert.Equal(new byte[] { 4, 2 }, (await DecryptAsync(blob)).Plaintext.ToArray());
    }

    [Fact]
    public async Task AwsManagedKey_ChangesAndDirectUse_AccessDenied()
    {
        var meta = await DescribeAsync(ManagedAlias);
        var key = meta.KeyId;
        var policy = (await Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key, PolicyName = "default" })).Policy;
        try
        {
            var calls = new (string Op, Func<Task> Call)[]
            {
                ("DisableKey", () => Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key })),
                ("ScheduleKeyDeletion", () => Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key, PendingWindowInDays = 7 })),
                ("PutKeyPolicy", () => Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key, PolicyName = "default", Policy = policy })),
                ("EnableKeyRotation", () => Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key })),
                ("Encrypt", () => EncryptAsync(ManagedAlias, [1])),
                ("GenerateDataKey", () => Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key, KeySpec = DataKeySpec.AES_256 })),
            };
            foreach (var (op, call) in calls)
            {
                var ex = await AssertAwsErrorAsync<AmazonKeyManagementServiceException>("AccessDeniedException", call);
                Assert.False(string.IsNullOrEmpty(ex.Message), op);
            }

            Assert.Equal(KeyState.Enabled, (await DescribeAsync(key)).KeyState);
        }
        finally
        {
            // Should the server wrongly accept a change, undo it so other tests keep a usable key.
            await BestEffort(() => Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key }));
            await BestEffort(() => Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key }));
        }
    }

    private static async Task BestEffort(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (AmazonKeyManagementServiceException)
        {
            // expected when the server refused the change in the first place
        }
    }
}
