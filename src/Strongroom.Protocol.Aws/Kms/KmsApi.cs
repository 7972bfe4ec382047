using System.Security.Cryptography;
using System.Text.Json;
using Strongroom.Core.Kms;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws.Kms;

/// <summary>
/// The KMS wire operations (X-Amz-Target "TrentService.*") for symmetric keys. Plaintext blobs are zeroed
/// once written to the response buffer. Thread-safe.
/// </summary>
public sealed class KmsApi : IJsonService
{
    public const string TargetPrefix = "TrentService.";
    private readonly KmsService _kms;
    private readonly Dictionary<string, Func<Call, Task>> _operations;

    public KmsApi(KmsService kms)
    {
        _kms = kms;
        _operations = new Dictionary<string, Func<Call, Task>>(StringComparer.Ordinal)
        {
            ["CancelKeyDeletion"] = CancelKeyDeletionAsync,
            ["CreateAlias"] = c => _kms.Aliases.CreateAliasAsync(c.Region, c.Input.RequiredString("AliasName"), c.Input.RequiredString("TargetKeyId"), c.Ct),
            ["CreateKey"] = CreateKeyAsync,
            ["Decrypt"] = DecryptAsync,
            ["DeleteAlias"] = c => _kms.Aliases.DeleteAliasAsync(c.Region, c.Input.RequiredString("AliasName"), c.Ct),
            ["DescribeKey"] = DescribeKeyAsync,
            ["DisableKey"] = c => _kms.Keys.SetEnabledAsync(c.Region, KeyId(c), false, c.Ct),
            ["DisableKeyRotation"] = c => _kms.Rotations.SetKeyRotationAsync(c.Region, KeyId(c), false, null, c.Ct),
            ["EnableKey"] = c => _kms.Keys.SetEnabledAsync(c.Region, KeyId(c), true, c.Ct),
            ["EnableKeyRotation"] = c => _kms.Rotations.SetKeyRotationAsync(c.Region, KeyId(c), true, c.Input.Int("RotationPeriodInDays"), c.Ct),
            ["Encrypt"] = EncryptAsync,
            ["GenerateDataKey"] = c => GenerateDataKeyAsync(c, withPlaintext: true),
            ["GenerateDataKeyWithoutPlaintext"] = c => GenerateDataKeyAsync(c, withPlaintext: false),
            ["GenerateRandom"] = GenerateRandomAsync,
            ["GetKeyPolicy"] = GetKeyPolicyAsync,
            ["GetKeyRotationStatus"] = GetKeyRotationStatusAsync,
            ["ListAliases"] = ListAliasesAsync,
            ["ListKeyPolicies"] = ListKeyPoliciesAsync,
            ["ListKeyRotations"] = ListKeyRotationsAsync,
            ["ListKeys"] = ListKeysAsync,
            ["ListResourceTags"] = ListResourceTagsAsync,
            ["PutKeyPolicy"] = c => _kms.Policies.PutKeyPolicyAsync(c.Region, KeyId(c), c.Input.String("PolicyName"), c.Input.RequiredString("Policy"), c.Ct, c.Input.Bool("BypassPolicyLockoutSafetyCheck") ?? false, c.Access.MayStillChangeKeyPolicyAsync),
            ["ReEncrypt"] = ReEncryptAsync,
            ["RotateKeyOnDemand"] = RotateKeyOnDemandAsync,
            ["ScheduleKeyDeletion"] = ScheduleKeyDeletionAsync,
            ["TagResource"] = c => _kms.Tags.TagResourceAsync(c.Region, KeyId(c), Tags(c.Input) ?? throw JsonInput.Missing("Tags"), c.Ct),
            ["UntagResource"] = c => _kms.Tags.UntagResourceAsync(c.Region, KeyId(c), c.Input.StringList("TagKeys") ?? throw JsonInput.Missing("TagKeys"), c.Ct),
            ["UpdateAlias"] = c => _kms.Aliases.UpdateAliasAsync(c.Region, c.Input.RequiredString("AliasName"), c.Input.RequiredString("TargetKeyId"), c.Ct),
            ["UpdateKeyDescription"] = c => _kms.Keys.UpdateKeyDescriptionAsync(c.Region, KeyId(c), c.Input.RequiredString("Description"), c.Ct),
        };
    }

    public IReadOnlyCollection<string> Operations => _operations.Keys;

    string IJsonService.SigningName => "kms";

    string IJsonService.TargetPrefix => TargetPrefix;

    string IJsonService.ErrorMessageMember => "message";

    bool IJsonService.Serves(string operation) => _operations.ContainsKey(operation);

    Task IJsonService.InvokeAsync(string operation, JsonCall call) =>
        InvokeAsync(operation, call.Region, call.Access, call.Input, call.Output, call.Ct);

    private sealed record Call(string Region, Core.Policies.ICallerAccess Access, JsonInput Input, Utf8JsonWriter Output, CancellationToken Ct);

    /// <summary>Runs <paramref name="operation"/>; <paramref name="access"/> answers the policy lockout safety check of CreateKey and PutKeyPolicy.</summary>
    public async Task InvokeAsync(string operation, string region, Core.Policies.ICallerAccess access, JsonInput input, Utf8JsonWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(access);
        if (!_operations.TryGetValue(operation, out var handler))
        {
            throw new AwsError("UnsupportedOperationException", $"Strongroom does not support the KMS operation {operation} (asymmetric, HMAC, grants, imported material and custom key stores are not served).");
        }

        output.WriteStartObject();
        await handler(new Call(region, access, input, output, ct));
        output.WriteEndObject();
    }

    private static string KeyId(Call c) => c.Input.RequiredString("KeyId");

    private static List<KeyValuePair<string, string>>? Tags(JsonInput input) =>
        input.Array("Tags")?.Select(e =>
        {
            var tag = JsonInput.Structure(e, "Tags");
            return new KeyValuePair<string, string>(JsonInput.String(tag, "TagKey") ?? throw JsonInput.Missing("Tags.member.TagKey"), JsonInput.String(tag, "TagValue") ?? throw JsonInput.Missing("Tags.member.TagValue"));
        }).ToList();

    private static void WriteSensitive(Utf8JsonWriter w, string name, byte[]? bytes)
    {
        if (bytes is null)
        {
            return;
        }

        w.WriteBase64String(name, bytes);
        w.Flush();
        CryptographicOperations.ZeroMemory(bytes);
    }

    private static void WriteKeyMetadata(Utf8JsonWriter w, KmsKeyRecord key, string accountId)
    {
        w.WriteStartObject("KeyMetadata");
        w.WriteString("AWSAccountId", accountId);
        w.WriteString("KeyId", key.KeyId.ToString("D"));
        w.WriteString("Arn", key.Arn);
        JsonOutput.Timestamp(w, "CreationDate", key.CreatedDate);
        w.WriteBoolean("Enabled", key.State == KmsKeyState.Enabled);
        w.WriteString("Description", key.Description ?? string.Empty);
        w.WriteString("KeyUsage", key.KeyUsage);
        w.WriteString("KeyState", KmsKeyWire.ToWire(key.State));
        JsonOutput.Timestamp(w, "DeletionDate", key.DeletionDate);
        w.WriteString("Origin", key.Origin);
        w.WriteString("KeyManager", KmsKeyWire.ToWire(key.Manager));
        w.WriteString("CustomerMasterKeySpec", key.KeySpec);
        w.WriteString("KeySpec", key.KeySpec);
        JsonOutput.StringArray(w, "EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"]);
        w.WriteBoolean("MultiRegion", false);
        if (key.PendingWindowInDays is { } window)
        {
            w.WriteNumber("PendingDeletionWindowInDays", window);
        }

        w.WriteString("CurrentKeyMaterialId", KeyRing.KeyMaterialId(key.Arn, key.CurrentVersion));
        w.WriteEndObject();
    }

    private static string Account(KmsKeyRecord key) => key.Arn.Split(':')[4];

    private async Task CreateKeyAsync(Call c)
    {
        var i = c.Input;
        var key = await _kms.Keys.CreateKeyAsync(c.Region, new CreateKeyRequest(
            i.String("Policy"), i.String("Description"), i.String("KeyUsage"), i.String("KeySpec"), i.String("CustomerMasterKeySpec"),
            i.String("Origin"), i.String("CustomKeyStoreId"), i.String("XksKeyId"), i.Bool("BypassPolicyLockoutSafetyCheck") ?? false, Tags(i), i.Bool("MultiRegion") ?? false), c.Ct, c.Access.MayStillChangeKeyPolicyAsync);
        WriteKeyMetadata(c.Output, key, Account(key));
    }

    private async Task DescribeKeyAsync(Call c)
    {
        var key = await _kms.Keys.DescribeKeyAsync(c.Region, KeyId(c), c.Ct);
        WriteKeyMetadata(c.Output, key, Account(key));
    }

    private async Task ListKeysAsync(Call c)
    {
        var page = await _kms.Keys.ListKeysAsync(c.Region, c.Input.Int("Limit"), c.Input.String("Marker"), c.Ct);
        var w = c.Output;
        w.WriteStartArray("Keys");
        foreach (var key in page.Items)
        {
            w.WriteStartObject();
            w.WriteString("KeyId", key.KeyId.ToString("D"));
            w.WriteString("KeyArn", key.Arn);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WritePageEnd(w, page.NextMarker);
    }

    private static void WritePageEnd(Utf8JsonWriter w, string? nextMarker)
    {
        JsonOutput.String(w, "NextMarker", nextMarker);
        w.WriteBoolean("Truncated", nextMarker is not null);
    }

    private async Task ScheduleKeyDeletionAsync(Call c)
    {
        var key = await _kms.Keys.ScheduleKeyDeletionAsync(c.Region, KeyId(c), c.Input.Int("PendingWindowInDays"), c.Ct);
        c.Output.WriteString("KeyId", key.Arn);
        JsonOutput.Timestamp(c.Output, "DeletionDate", key.DeletionDate);
        c.Output.WriteString("KeyState", KmsKeyWire.ToWire(key.State));
        c.Output.WriteNumber("PendingWindowInDays", key.PendingWindowInDays!.Value);
    }

    private async Task CancelKeyDeletionAsync(Call c)
    {
        var key = await _kms.Keys.CancelKeyDeletionAsync(c.Region, KeyId(c), c.Ct);
        c.Output.WriteString("KeyId", key.Arn);
    }

    private async Task ListAliasesAsync(Call c)
    {
        var page = await _kms.Aliases.ListAliasesAsync(c.Region, c.Input.String("KeyId"), c.Input.Int("Limit"), c.Input.String("Marker"), c.Ct);
        var w = c.Output;
        w.WriteStartArray("Aliases");
        foreach (var alias in page.Items)
        {
            w.WriteStartObject();
            w.WriteString("AliasName", alias.AliasName);
            w.WriteString("AliasArn", $"arn:aws:kms:{alias.Region}:{_kms.AccountId}:{alias.AliasName}");
            w.WriteString("TargetKeyId", alias.KeyId.ToString("D"));
            JsonOutput.Timestamp(w, "CreationDate", alias.CreatedDate);
            JsonOutput.Timestamp(w, "LastUpdatedDate", alias.LastUpdatedDate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WritePageEnd(w, page.NextMarker);
    }

    private async Task EncryptAsync(Call c)
    {
        var i = c.Input;
        ValidateAlgorithm(i.String("EncryptionAlgorithm"), "encryptionAlgorithm");
        var plaintext = i.Blob("Plaintext") ?? throw JsonInput.Missing("Plaintext");
        try
        {
            var result = await _kms.Crypto.EncryptAsync(c.Region, KeyId(c), plaintext, i.Map("EncryptionContext"), c.Ct);
            c.Output.WriteBase64String("CiphertextBlob", result.CiphertextBlob);
            c.Output.WriteString("KeyId", result.Key.Arn);
            c.Output.WriteString("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static void ValidateAlgorithm(string? algorithm, string member)
    {
        if (algorithm is null or "SYMMETRIC_DEFAULT")
        {
            return;
        }

        if (algorithm is "RSAES_OAEP_SHA_1" or "RSAES_OAEP_SHA_256" or "SM2PKE")
        {
            throw new AwsError("InvalidKeyUsageException", $"The encryption algorithm {algorithm} is not compatible with the key's key spec SYMMETRIC_DEFAULT.");
        }

        throw Core.Errors.DomainException.Constraint(member, algorithm, "Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]");
    }

    private async Task DecryptAsync(Call c)
    {
        var i = c.Input;
        ValidateAlgorithm(i.String("EncryptionAlgorithm"), "encryptionAlgorithm");
        var result = await _kms.Crypto.DecryptAsync(c.Region, i.Blob("CiphertextBlob") ?? throw JsonInput.Missing("CiphertextBlob"), i.Map("EncryptionContext"), i.String("KeyId"), c.Ct);
        c.Output.WriteString("KeyId", result.Key.Arn);
        WriteSensitive(c.Output, "Plaintext", result.Plaintext);
        c.Output.WriteString("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        c.Output.WriteString("KeyMaterialId", KeyRing.KeyMaterialId(result.Key.Arn, result.Version));
    }

    private async Task GenerateDataKeyAsync(Call c, bool withPlaintext)
    {
        var i = c.Input;
        var result = await _kms.Crypto.GenerateDataKeyAsync(c.Region, KeyId(c), i.Map("EncryptionContext"), i.Int("NumberOfBytes"), i.String("KeySpec"), withPlaintext, c.Ct);
        c.Output.WriteBase64String("CiphertextBlob", result.CiphertextBlob);
        WriteSensitive(c.Output, "Plaintext", result.Plaintext);
        c.Output.WriteString("KeyId", result.Key.Arn);
        c.Output.WriteString("KeyMaterialId", KeyRing.KeyMaterialId(result.Key.Arn, result.Version));
    }

    private async Task ReEncryptAsync(Call c)
    {
        var i = c.Input;
        ValidateAlgorithm(i.String("SourceEncryptionAlgorithm"), "sourceEncryptionAlgorithm");
        ValidateAlgorithm(i.String("DestinationEncryptionAlgorithm"), "destinationEncryptionAlgorithm");
        var (source, destination) = await _kms.Crypto.ReEncryptAsync(
            c.Region, i.Blob("CiphertextBlob") ?? throw JsonInput.Missing("CiphertextBlob"), i.Map("SourceEncryptionContext"), i.String("SourceKeyId"),
            i.RequiredString("DestinationKeyId"), i.Map("DestinationEncryptionContext"), c.Ct);
        var w = c.Output;
        w.WriteBase64String("CiphertextBlob", destination.CiphertextBlob);
        w.WriteString("SourceKeyId", source.Key.Arn);
        w.WriteString("KeyId", destination.Key.Arn);
        w.WriteString("SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        w.WriteString("DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        w.WriteString("SourceKeyMaterialId", KeyRing.KeyMaterialId(source.Key.Arn, source.Version));
        w.WriteString("DestinationKeyMaterialId", KeyRing.KeyMaterialId(destination.Key.Arn, destination.Version));
    }

    private Task GenerateRandomAsync(Call c)
    {
        if (c.Input.String("CustomKeyStoreId") is not null)
        {
            throw new AwsError("UnsupportedOperationException", "Custom key stores are not supported.");
        }

        WriteSensitive(c.Output, "Plaintext", KmsCryptography.GenerateRandom(c.Input.Int("NumberOfBytes")));
        return Task.CompletedTask;
    }

    private async Task GetKeyRotationStatusAsync(Call c)
    {
        var key = await _kms.Rotations.GetKeyRotationStatusAsync(c.Region, KeyId(c), c.Ct);
        var w = c.Output;
        w.WriteBoolean("KeyRotationEnabled", key.RotationEnabled);
        w.WriteString("KeyId", key.Arn);
        if (key.RotationEnabled)
        {
            w.WriteNumber("RotationPeriodInDays", key.RotationPeriodInDays ?? 365);
            JsonOutput.Timestamp(w, "NextRotationDate", key.NextRotationDate);
        }
    }

    private async Task RotateKeyOnDemandAsync(Call c)
    {
        var key = await _kms.Rotations.RotateKeyOnDemandAsync(c.Region, KeyId(c), c.Ct);
        c.Output.WriteString("KeyId", key.KeyId.ToString("D"));
    }

    private async Task ListKeyRotationsAsync(Call c)
    {
        var include = c.Input.String("IncludeKeyMaterial");
        if (include is not null and not ("ALL_KEY_MATERIAL" or "ROTATIONS_ONLY"))
        {
            throw Core.Errors.DomainException.Constraint("includeKeyMaterial", include, "Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]");
        }

        var page = await _kms.Rotations.ListKeyRotationsAsync(c.Region, KeyId(c), include == "ALL_KEY_MATERIAL", c.Input.Int("Limit"), c.Input.String("Marker"), c.Ct);
        var w = c.Output;
        w.WriteStartArray("Rotations");
        foreach (var entry in page.Items)
        {
            w.WriteStartObject();
            w.WriteString("KeyId", entry.KeyId.ToString("D"));
            w.WriteString("KeyMaterialId", entry.KeyMaterialId);
            w.WriteString("KeyMaterialState", entry.KeyMaterialState);
            w.WriteString("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE");
            JsonOutput.Timestamp(w, "RotationDate", entry.RotationDate);
            JsonOutput.String(w, "RotationType", entry.RotationType);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WritePageEnd(w, page.NextMarker);
    }

    private async Task GetKeyPolicyAsync(Call c)
    {
        var policy = await _kms.Policies.GetKeyPolicyAsync(c.Region, KeyId(c), c.Input.String("PolicyName"), c.Ct);
        c.Output.WriteString("Policy", policy);
        c.Output.WriteString("PolicyName", "default");
    }

    private async Task ListKeyPoliciesAsync(Call c)
    {
        var names = await _kms.Policies.ListKeyPoliciesAsync(c.Region, KeyId(c), c.Input.Int("Limit"), c.Input.String("Marker"), c.Ct);
        JsonOutput.StringArray(c.Output, "PolicyNames", names);
        c.Output.WriteBoolean("Truncated", false);
    }

    private async Task ListResourceTagsAsync(Call c)
    {
        var page = await _kms.Tags.ListResourceTagsAsync(c.Region, KeyId(c), c.Input.Int("Limit"), c.Input.String("Marker"), c.Ct);
        var w = c.Output;
        w.WriteStartArray("Tags");
        foreach (var (key, value) in page.Items)
        {
            w.WriteStartObject();
            w.WriteString("TagKey", key);
            w.WriteString("TagValue", value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WritePageEnd(w, page.NextMarker);
    }
}
