using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Storage;
using Strongroom.Crypto;
using static Strongroom.Core.Parameters.ParameterErrors;

namespace Strongroom.Core.Parameters;

/// <summary>
/// What the parameter use cases share: the store, the key ring, the clock, a parameter's ARN, and the sealing of a
/// SecureString value under its KMS key with the context {"PARAMETER_ARN": arn} (and its reading back). Thread-safe.
/// </summary>
internal sealed class ParameterStoreContext
{
    private readonly ServerIdentity _identity;

    public ParameterStoreContext(IStore store, KeyRing keys, ServerIdentity identity, TimeProvider time, Events.IEventOutbox? events = null)
    {
        Events = events ?? Core.Events.NoEventOutbox.Instance;
        Store = store;
        Keys = keys;
        _identity = identity;
        Time = time;
    }

    public IStore Store { get; }

    /// <summary>Where parameter policy events go, inside the transaction of the change they describe.</summary>
    public Events.IEventOutbox Events { get; }

    public KeyRing Keys { get; }

    public TimeProvider Time { get; }

    public DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(Time.GetUtcNow().ToUnixTimeMilliseconds());

    public string Arn(string region, string name) => $"arn:aws:ssm:{region}:{_identity.AccountId}:parameter/{name.TrimStart('/')}";

    internal async Task<byte[]> EncryptAsync(IStoreTransaction tx, string region, string name, string keyId, string value, CancellationToken ct)
    {
        KmsKeyRecord? key;
        try
        {
            key = await Keys.FindAsync(tx, region, keyId, allowAlias: true, ct);
            if (key is null)
            {
                throw Error("InvalidKeyId", $"Invalid KeyId: {keyId}");
            }

            KeyRing.EnsureUsable(key);
        }
        catch (KmsUnavailableException e)
        {
            throw Error("InvalidKeyId", e.Failure == KmsFailure.PendingDeletion ? $"{e.KeyArn} is pending deletion." : $"{e.KeyArn} is disabled.");
        }

        var plaintext = Encoding.UTF8.GetBytes(value);
        try
        {
            return await Keys.EncryptAsync(tx, key, plaintext, Context(region, name), ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    internal byte[] Context(string region, string name) => EncryptionContext.Canonical(new Dictionary<string, string> { ["PARAMETER_ARN"] = Arn(region, name) });

    internal async Task<string> ReadValueAsync(string region, ParameterRecord parameter, ParameterVersionRecord version, bool withDecryption, ICallerAccess access, CancellationToken ct)
    {
        if (version.Type != "SecureString")
        {
            return Encoding.UTF8.GetString(version.Value);
        }

        if (!withDecryption)
        {
            return Convert.ToBase64String(version.Value);
        }

        // SSM decrypts with the caller's permissions: kms:Decrypt on the key this version's blob names (not the
        // parameter's current KeyId, nor an alias that may since point elsewhere), through SSM, with its context.
        if (await Keys.KeyOfBlobAsync(Store, version.Value, ct) is { } key
            && await access.KeyUseDeniedAsync(key, "kms:Decrypt", $"ssm.{region}.amazonaws.com", new Dictionary<string, string>(StringComparer.Ordinal) { ["PARAMETER_ARN"] = Arn(region, parameter.Name) }, ct) is { } denied)
        {
            throw new DomainException(ErrorKind.AccessDenied, denied);
        }

        try
        {
            var (_, _, plaintext) = await Keys.DecryptAsync(Store, version.Value, Context(region, parameter.Name), ct);
            try
            {
                return Encoding.UTF8.GetString(plaintext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
        catch (KmsUnavailableException e)
        {
            throw Error("InvalidKeyId", e.Failure switch
            {
                KmsFailure.Disabled => $"{e.KeyArn} is disabled.",
                KmsFailure.PendingDeletion => $"{e.KeyArn} is pending deletion.",
                _ => "The parameter's value can't be decrypted with its KMS key.",
            });
        }
    }
}
