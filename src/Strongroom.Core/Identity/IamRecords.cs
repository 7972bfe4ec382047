using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;
using Strongroom.Crypto;

namespace Strongroom.Core.Identity;

/// <summary>
/// The only way to read and write IAM-entity rows (users, groups, roles, managed policies, sessions, rotation functions
/// and any other kind) and access-key rows: every row carries an integrity tag (<see cref="RecordMac"/>, a key derived
/// from the root key) over its content and its own key, checked on every read, so a row edited, moved to another key or
/// written by someone without the root key is refused and reported (<see cref="RootWrap.IntegrityFailure"/>). An
/// access key's secret is wrapped under a binding that names its principal (<see cref="AccessKeyBinding"/>).
/// What a tag cannot stop — a row deleted, or an older row of the same key put back — is in docs/security.md.
/// Thread-safe.
/// </summary>
public sealed class IamRecords
{
    public const string EntityTable = "iam_entities";
    public const string AccessKeyTable = "access_keys";
    private static ReadOnlySpan<byte> Magic => "SRREC1"u8;
    private readonly RootWrap? _root;

    public IamRecords(RootWrap root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
    }

    private IamRecords()
    {
    }

    /// <summary>
    /// Rows read as stored, their integrity tags not checked; nothing written, no secret unwrapped. Only for
    /// `strongroom admin explain`, an offline diagnostic that has no root key (<see cref="IamService.Unverified"/>):
    /// no decision the server enforces ever reads through it.
    /// </summary>
    internal static IamRecords Unverified() => new();

    /// <summary>False for <see cref="Unverified"/>.</summary>
    public bool Verifies => _root is not null;

    private RootWrap Root => _root ?? throw new InvalidOperationException("An unverified view of the IAM rows (strongroom admin explain) writes nothing and unwraps no secret.");

    // ------------------------------------------------------------------ content (frozen by golden tests)

    /// <summary>What an IAM-entity row's tag covers: the record type, the row's kind and name, and its JSON.</summary>
    public static byte[] EntityContent(IamEntityKind kind, string name, string json) => EntityContent(IamEntityKinds.ToStored(kind), name, json);

    /// <summary>The same, for a kind as stored (the golden tests pin the bytes).</summary>
    public static byte[] EntityContent(string kind, string name, string json) => Content("iam-entity", kind, name, json);

    /// <summary>
    /// What an access-key row's tag covers: every column but the wrapped secret (which its AES-GCM binding covers): id,
    /// principal id, principal ARN, user name, status and creation time in epoch milliseconds.
    /// </summary>
    public static byte[] AccessKeyContent(AccessKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Content("access-key", key.AccessKeyId, key.PrincipalId ?? string.Empty, key.PrincipalArn, key.UserName, key.Status,
            key.CreatedDate.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The associated data an access key's secret is wrapped under: its id, its principal's unique id and ARN, so a secret
    /// moved to another row, user or principal does not unwrap. Without a principal id: the binding of rows written before
    /// issue #25, read only by the upgrade at start.
    /// </summary>
    public static string AccessKeyBinding(string accessKeyId, string? principalId, string principalArn) =>
        principalId is null ? "access-key:" + accessKeyId : $"access-key:{accessKeyId}\n{principalId}\n{principalArn}";

    /// <summary>"SRREC1", then each part as a 4-byte big-endian length and its UTF-8 bytes: no two part lists encode alike.</summary>
    private static byte[] Content(params string[] parts)
    {
        var encoded = parts.Select(Encoding.UTF8.GetBytes).ToList();
        var output = new byte[Magic.Length + encoded.Sum(p => 4 + p.Length)];
        Magic.CopyTo(output);
        var at = Magic.Length;
        foreach (var part in encoded)
        {
            BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), part.Length);
            part.CopyTo(output, at + 4);
            at += 4 + part.Length;
        }

        return output;
    }

    // ------------------------------------------------------------------ IAM entities

    /// <summary>The verified JSON of a row, or null when there is none. Throws <see cref="RecordIntegrityException"/> for a row that fails its check.</summary>
    public async Task<string?> FindAsync(IStoreReader reader, IamEntityKind kind, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var row = await reader.FindIamEntityAsync(kind, name, ct);
        if (row is null)
        {
            return null;
        }

        if (_root is not null)
        {
            await RequireAsync(reader, row, ct);
        }

        return row.Json;
    }

    /// <summary>The verified JSON of every row of a kind, by name; a row that fails its check is reported and left out.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(IStoreReader reader, IamEntityKind kind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var verified = new List<string>();
        foreach (var row in await reader.ListIamEntitiesAsync(kind, ct))
        {
            if (_root is null || await _root.VerifyAsync(reader, EntityContent(row.Kind, row.Name, row.Json), row.Mac, ct))
            {
                verified.Add(row.Json);
            }
            else
            {
                Root.ReportIntegrityFailure(EntityTable, IamEntityKinds.ToStored(row.Kind) + "/" + row.Name);
            }
        }

        return verified;
    }

    /// <summary>Writes a row with its tag.</summary>
    public async Task PutAsync(IStoreTransaction tx, IamEntityKind kind, string name, string json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await tx.PutIamEntityAsync(new IamEntityRow(kind, name, json, await Root.MacAsync(tx, EntityContent(kind, name, json), ct)), ct);
    }

    private async Task RequireAsync(IStoreReader reader, IamEntityRow row, CancellationToken ct)
    {
        if (!await Root.VerifyAsync(reader, EntityContent(row.Kind, row.Name, row.Json), row.Mac, ct))
        {
            Root.ReportIntegrityFailure(EntityTable, IamEntityKinds.ToStored(row.Kind) + "/" + row.Name);
            throw new RecordIntegrityException(EntityTable, IamEntityKinds.ToStored(row.Kind) + "/" + row.Name);
        }
    }

    // ------------------------------------------------------------------ access keys

    /// <summary>The verified row of an access key, or null. Throws <see cref="RecordIntegrityException"/> for a row that fails its check.</summary>
    public async Task<AccessKeyRecord?> FindAccessKeyAsync(IStoreReader reader, string accessKeyId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var key = await reader.FindAccessKeyAsync(accessKeyId, ct);
        if (key is not null && !await VerifiedAsync(reader, key, ct))
        {
            throw new RecordIntegrityException(AccessKeyTable, accessKeyId);
        }

        return key;
    }

    /// <summary>The verified access keys of a user; a row that fails its check is reported and left out.</summary>
    public async Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(IStoreReader reader, string userName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var verified = new List<AccessKeyRecord>();
        foreach (var key in await reader.ListAccessKeysAsync(userName, ct))
        {
            if (await VerifiedAsync(reader, key, ct))
            {
                verified.Add(key);
            }
        }

        return verified;
    }

    private async Task<bool> VerifiedAsync(IStoreReader reader, AccessKeyRecord key, CancellationToken ct)
    {
        if (_root is null || (key.PrincipalId is not null && await _root.VerifyAsync(reader, AccessKeyContent(key), key.Mac, ct)))
        {
            return true;
        }

        Root.ReportIntegrityFailure(AccessKeyTable, key.AccessKeyId);
        return false;
    }

    /// <summary>Stores a new access key for a principal: the secret wrapped under the principal's binding, the row tagged.</summary>
    public async Task<AccessKeyRecord> CreateAccessKeyAsync(IStoreTransaction tx, string accessKeyId, byte[] secret, string principalId, string principalArn, string userName, DateTimeOffset created, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var record = new AccessKeyRecord
        {
            AccessKeyId = accessKeyId,
            WrappedSecret = await Root.WrapAsync(tx, secret, AccessKeyBinding(accessKeyId, principalId, principalArn), ct),
            PrincipalArn = principalArn,
            UserName = userName,
            Status = "Active",
            CreatedDate = created,
            PrincipalId = principalId,
        };
        await PutAccessKeyAsync(tx, record, ct);
        return record;
    }

    /// <summary>Writes a verified row back after a change of status (the tag recomputed; the wrapped secret unchanged).</summary>
    public async Task PutAccessKeyAsync(IStoreTransaction tx, AccessKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(key);
        key.Mac = await Root.MacAsync(tx, AccessKeyContent(key), ct);
        await tx.UpsertAccessKeyAsync(key, ct);
    }

    /// <summary>
    /// Moves a verified key to its principal's new ARN or user name (a renamed user): the secret is unwrapped under the
    /// old binding and wrapped under the new one, the row tagged again.
    /// </summary>
    public async Task<AccessKeyRecord> RebindAccessKeyAsync(IStoreTransaction tx, AccessKeyRecord key, string principalArn, string userName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(key);
        var secret = await UnwrapSecretAsync(tx, key, ct);
        try
        {
            var moved = new AccessKeyRecord
            {
                AccessKeyId = key.AccessKeyId,
                WrappedSecret = await Root.WrapAsync(tx, secret, AccessKeyBinding(key.AccessKeyId, key.PrincipalId, principalArn), ct),
                PrincipalArn = principalArn,
                UserName = userName,
                Status = key.Status,
                CreatedDate = key.CreatedDate,
                PrincipalId = key.PrincipalId,
            };
            await PutAccessKeyAsync(tx, moved, ct);
            return moved;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The secret of a verified key (the caller zeroes it). A secret that does not unwrap under the row's binding is reported and refused.</summary>
    public async Task<byte[]> UnwrapSecretAsync(IStoreReader reader, AccessKeyRecord key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return await Root.UnwrapAsync(reader, key.WrappedSecret, AccessKeyBinding(key.AccessKeyId, key.PrincipalId, key.PrincipalArn), ct);
        }
        catch (CryptoFailureException)
        {
            Root.ReportIntegrityFailure(AccessKeyTable, key.AccessKeyId);
            throw new RecordIntegrityException(AccessKeyTable, key.AccessKeyId);
        }
    }
}
