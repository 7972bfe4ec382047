using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Storage;
using Strongroom.Crypto;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// Opens a data directory: root key, store and installation settings, initialising them on first use.
/// The admin's secret access key is written only to <c>admin.credentials</c> (mode 0600), never logged.
/// </summary>
public sealed class DataDirectory : IAsyncDisposable
{
    public const string AdminUser = "admin";
    private const string AccessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private DataDirectory(string path, RootKey rootKey, IStore store, ServerIdentity identity, bool created)
    {
        Path = path;
        RootKey = rootKey;
        Store = store;
        Identity = identity;
        Created = created;
    }

    public string Path { get; }

    public RootKey RootKey { get; }

    public IStore Store { get; }

    public ServerIdentity Identity { get; }

    /// <summary>True when this open initialised an empty directory.</summary>
    public bool Created { get; }

    public string CredentialsFile => System.IO.Path.Combine(Path, "admin.credentials");

    public static string AdminArn(string accountId) => $"arn:aws:iam::{accountId}:user/{AdminUser}";

    /// <summary>Opens <paramref name="path"/>; with <paramref name="create"/>, initialises it when empty.</summary>
    /// <exception cref="RootKeyUnavailableException">when the root key cannot be obtained.</exception>
    public static async Task<DataDirectory> OpenAsync(string path, string defaultRegion, string? accountId, bool create, CancellationToken ct)
    {
        var full = System.IO.Path.GetFullPath(path);
        var databasePath = System.IO.Path.Combine(full, "strongroom.db");
        var keyProvider = new FileRootKeyProvider(System.IO.Path.Combine(full, "root.key"));
        var fresh = !File.Exists(databasePath);
        if (fresh && !create)
        {
            throw new DirectoryNotFoundException($"'{full}' is not an initialised Strongroom data directory (no strongroom.db). Start 'strongroom server --data-dir {path}' once to initialise it.");
        }

        if (fresh && keyProvider.Exists && Directory.EnumerateFiles(full).Any(f => !f.EndsWith("root.key", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"'{full}' has a root key but no database; refusing to initialise over it.");
        }

        if (fresh)
        {
            Directory.CreateDirectory(full);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        // A restored backup brings its database but not its root key: refuse rather than make a new one.
        var rootKey = fresh && !keyProvider.Exists ? keyProvider.Create() : keyProvider.Load();
        var store = new SqliteStore(databasePath);
        try
        {
            await store.InitializeAsync(ct);
            var storedAccount = await store.GetSettingAsync("account_id", ct);
            if (storedAccount is not null && accountId is not null && storedAccount != accountId)
            {
                throw new InvalidOperationException($"--account-id {accountId} differs from the account id {storedAccount} this data directory was initialised with.");
            }

            var account = storedAccount ?? accountId ?? NewAccountId();
            if (storedAccount is null)
            {
                await store.WriteAsync(async tx =>
                {
                    await tx.SetSettingAsync("account_id", account, ct);
                    return true;
                }, ct);
            }

            var directory = new DataDirectory(full, rootKey, store, new ServerIdentity(account, defaultRegion), fresh);
            return directory;
        }
        catch
        {
            await store.DisposeAsync();
            rootKey.Dispose();
            throw;
        }
    }

    private static string NewAccountId()
    {
        var digits = new char[12];
        digits[0] = (char)('1' + RandomNumberGenerator.GetInt32(9));
        for (var i = 1; i < digits.Length; i++)
        {
            digits[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
        }

        return new string(digits);
    }

    /// <summary>Creates the admin's first access key and writes it to admin.credentials, when the admin has none.</summary>
    public async Task EnsureAdminCredentialsAsync(CancellationToken ct)
    {
        var existing = await Store.GetSettingAsync("admin_access_key_id", ct);
        if (existing is not null)
        {
            return;
        }

        var accessKeyId = "AKIA" + RandomString(AccessKeyAlphabet, 16);
        var secret = RandomString(SecretAlphabet, 40);
        await ImportAccessKeyAsync(accessKeyId, secret, ct);
        await Store.WriteAsync(async tx =>
        {
            await tx.SetSettingAsync("admin_access_key_id", accessKeyId, ct);
            return true;
        }, ct);
        WriteCredentialsFile(accessKeyId, secret);
    }

    /// <summary>Stores an access key for the admin (the secret wrapped by the root key).</summary>
    public async Task ImportAccessKeyAsync(string accessKeyId, string secretAccessKey, CancellationToken ct)
    {
        var secretBytes = Encoding.UTF8.GetBytes(secretAccessKey);
        try
        {
            var record = new AccessKeyRecord
            {
                AccessKeyId = accessKeyId,
                WrappedSecret = WrappedKey.Wrap(RootKey, secretBytes, "access-key:" + accessKeyId),
                PrincipalArn = AdminArn(Identity.AccountId),
                UserName = AdminUser,
                Status = "Active",
                CreatedDate = DateTimeOffset.UtcNow,
            };
            await Store.WriteAsync(async tx =>
            {
                await tx.UpsertAccessKeyAsync(record, ct);
                return true;
            }, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretBytes);
        }
    }

    private void WriteCredentialsFile(string accessKeyId, string secret)
    {
        var text = $"[default]\naws_access_key_id = {accessKeyId}\naws_secret_access_key = {secret}\n";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(CredentialsFile, options);
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }

    private static string RandomString(string alphabet, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        RootKey.Dispose();
    }
}
