using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Storage;
using Strongroom.Crypto;
using Strongroom.Storage.PostgreSql;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// Opens a data directory: root key, store and installation settings, initialising them on first use.
/// The admin's secret access key is written only to <c>admin.credentials</c> (mode 0600), never logged.
/// </summary>
public sealed class DataDirectory : IAsyncDisposable
{
    private const string AccessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private DataDirectory(string path, RootKeySource source, RootKeyHolder holder, RootWrap root, IStore store, ServerIdentity identity, bool created)
    {
        Path = path;
        RootSource = source;
        RootKeys = holder;
        Root = root;
        Store = store;
        Identity = identity;
        Created = created;
    }

    public string Path { get; }

    public RootKeySource RootSource { get; }

    public RootKeyHolder RootKeys { get; }

    public RootWrap Root { get; }

    public IStore Store { get; }

    public ServerIdentity Identity { get; }

    /// <summary>True when this open initialised an empty directory.</summary>
    public bool Created { get; }

    /// <summary>What recovery did about an interrupted root-key rotation, if anything (for the log).</summary>
    public string? Recovery { get; private set; }

    /// <summary>What opening found or did about the administrator and the IAM rows' protection (an upgrade, a repair), for the log.</summary>
    public IReadOnlyList<string> IdentityNotes { get; private set; } = [];

    public string CredentialsFile => System.IO.Path.Combine(Path, "admin.credentials");

    public static string AdminArn(string accountId) => IdentityBootstrap.AdminArn(accountId);

    /// <summary>
    /// Opens <paramref name="path"/>; with <paramref name="create"/>, initialises it when empty. A rotation of the
    /// root key that was interrupted after the store committed is completed; one interrupted before that is
    /// rolled back unless <paramref name="keepPendingRotation"/> (the rotate command resumes it instead).
    /// </summary>
    /// <param name="postgres">
    /// Null for the embedded SQLite store (DATA_DIR/strongroom.db). Otherwise an Npgsql connection string: the
    /// database holds the store and the installation's settings (account id, root-key fingerprint), shared by every
    /// node; the directory holds only this node's root-key state (root.key) and admin.credentials. Never logged.
    /// </param>
    /// <exception cref="RootKeyUnavailableException">when the root key cannot be obtained or does not match.</exception>
    /// <exception cref="InvalidOperationException">when the directory or database cannot be used (the message names why, never the connection string).</exception>
    public static async Task<DataDirectory> OpenAsync(string path, string defaultRegion, string? accountId, bool create, CancellationToken ct, RootKeyOptions? rootKeyOptions = null, bool keepPendingRotation = false, string? postgres = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        var options = rootKeyOptions ?? new RootKeyOptions();
        var source = new RootKeySource(options, full);
        var (store, rootKey, fresh) = postgres is null
            ? await OpenSqliteAsync(path, full, source, create, ct)
            : await OpenPostgresAsync(postgres, full, source, create, ct);
        try
        {
            string? recovery = null;
            var stored = await store.GetSettingAsync(RootWrap.FingerprintSetting, ct);
            if (stored is not null && stored != rootKey.Fingerprint())
            {
                // The store was re-wrapped to a new key whose state was not yet promoted: finish the rotation.
                var pending = source.PendingNext();
                if (pending is null || pending.NextFingerprint() != stored)
                {
                    throw new RootKeyUnavailableException($"the root key from {source.Describe()} (fingerprint {rootKey.Fingerprint()}) is not the key this {(postgres is null ? "data directory" : "database")} is under (fingerprint {stored})");
                }

                pending.PromoteNext();
                rootKey.Dispose();
                source = new RootKeySource(options, full);
                rootKey = source.Load();
                recovery = "completed an interrupted root-key rotation (the store was already re-wrapped)";
            }
            else if (source.PendingNext() is { } pending && !keepPendingRotation)
            {
                pending.DiscardNext();
                recovery = "rolled back an interrupted root-key rotation (the store was never re-wrapped)";
            }

            // Read again inside the write transaction: nodes initialising one database together agree on the
            // first node's account id, and a node that made a different root key meanwhile is refused.
            var fingerprint = rootKey.Fingerprint();
            var proposed = accountId ?? NewAccountId();
            var account = await store.WriteAsync(async tx =>
            {
                var storedAccount = await tx.GetSettingAsync("account_id", ct);
                if (storedAccount is not null && accountId is not null && storedAccount != accountId)
                {
                    throw new InvalidOperationException($"--account-id {accountId} differs from the account id {storedAccount} this {(postgres is null ? "data directory" : "database")} was initialised with.");
                }

                if (storedAccount is null)
                {
                    await tx.SetSettingAsync("account_id", proposed, ct);
                }

                var storedFingerprint = await tx.GetSettingAsync(RootWrap.FingerprintSetting, ct);
                if (storedFingerprint is null)
                {
                    await tx.SetSettingAsync(RootWrap.FingerprintSetting, fingerprint, ct);
                }
                else if (storedFingerprint != fingerprint)
                {
                    throw new RootKeyUnavailableException($"the root key from {source.Describe()} (fingerprint {fingerprint}) is not the key this database is under (fingerprint {storedFingerprint}): another node initialised it first; copy its root key to this node");
                }

                return storedAccount ?? proposed;
            }, ct);

            foreach (var stale in source.StaleStateFiles)
            {
                File.Delete(stale);
            }

            var holder = new RootKeyHolder(rootKey, source.Reloader());
            var root = new RootWrap(holder);
            IdentityBootstrap.Result admin;
            try
            {
                // The administrator is read from its record under the root key (and created, or the store upgraded, when it has none).
                admin = await IdentityBootstrap.RunAsync(store, root, account, TimeProvider.System, ct);
            }
            catch (CryptoFailureException)
            {
                throw new InvalidOperationException($"a value in the {(postgres is null ? "data directory" : "database")} does not unwrap under the root key; it was changed without it. Restore it from a backup.");
            }

            return new DataDirectory(full, source, holder, root, store, new ServerIdentity(account, defaultRegion) { AdminUserId = admin.AdminUserId }, fresh) { Recovery = recovery, IdentityNotes = admin.Notes };
        }
        catch
        {
            await store.DisposeAsync();
            rootKey.Dispose();
            throw;
        }
    }

    private static async Task<(IStore Store, RootKey RootKey, bool Fresh)> OpenSqliteAsync(string path, string full, RootKeySource source, bool create, CancellationToken ct)
    {
        var databasePath = System.IO.Path.Combine(full, "strongroom.db");
        var fresh = !File.Exists(databasePath);
        if (fresh && !create)
        {
            throw new DirectoryNotFoundException($"'{full}' is not an initialised Strongroom data directory (no strongroom.db). Start 'strongroom server --data-dir {path}' once to initialise it.");
        }

        if (fresh && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new InvalidOperationException($"'{full}' is not empty but holds no Strongroom database; refusing to initialise over it (a restored backup needs its strongroom.db).");
        }

        if (fresh)
        {
            CreatePrivateDirectory(full);
        }

        var rootKey = fresh ? source.Create() : source.Load();
        var store = new SqliteStore(databasePath);
        try
        {
            await store.InitializeAsync(ct);
            return (store, rootKey, fresh);
        }
        catch
        {
            await store.DisposeAsync();
            rootKey.Dispose();
            throw;
        }
    }

    private static async Task<(IStore Store, RootKey RootKey, bool Fresh)> OpenPostgresAsync(string connectionString, string full, RootKeySource source, bool create, CancellationToken ct)
    {
        PostgresStore store;
        try
        {
            store = new PostgresStore(connectionString);
        }
        catch (ArgumentException)
        {
            // Npgsql's message may quote the string; it may hold a password.
            throw new InvalidOperationException("--postgres: not a valid PostgreSQL connection string (not shown: it may hold a password)");
        }

        try
        {
            string? stored;
            try
            {
                await store.InitializeAsync(ct);
                stored = await store.GetSettingAsync(RootWrap.FingerprintSetting, ct);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or StoreUnavailableException or TimeoutException)
            {
                // Npgsql's messages name host, port, user and database, never the password.
                throw new InvalidOperationException($"--postgres: cannot use the PostgreSQL database: {e.Message}", e);
            }

            var fresh = stored is null;
            if (fresh && !create)
            {
                throw new InvalidOperationException("--postgres: the database holds no Strongroom store yet. Start 'strongroom server --storage postgres' once to initialise it.");
            }

            if (!Directory.Exists(full))
            {
                CreatePrivateDirectory(full);
            }

            // This node's key state lives in its data directory (file, passphrase) or environment (env); the database
            // only knows the key's fingerprint. A node joining an initialised database must be given the same key.
            var keyPresent = source.StateFile is null || File.Exists(source.StateFile);
            if (!keyPresent && !fresh)
            {
                throw new RootKeyUnavailableException($"the database is already initialised under root key fingerprint {stored}, but this node has no {source.Describe()}: copy the root key ({System.IO.Path.GetFileName(source.StateFile)}) from a node of this cluster into '{full}' (every node uses the same custody)");
            }

            var rootKey = keyPresent ? source.Load() : source.Create();
            return (store, rootKey, fresh);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    private static void CreatePrivateDirectory(string full)
    {
        Directory.CreateDirectory(full);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>
    /// Rotates the root key: the next key is made (and, for file and passphrase, written to "&lt;state&gt;.next"),
    /// the store re-wraps everything under it in one transaction, then the next state is promoted. A pending
    /// .next left by an interrupted run is resumed, not replaced. Returns how many values were re-wrapped.
    /// The <see cref="FaultPoints"/> "after-next" and "after-commit" let a test host stop the process between the steps.
    /// </summary>
    /// <param name="target">The custody to rotate to (another mode, or new settings); null: a new key in the same mode.</param>
    public async Task<(int Count, string Fingerprint)> RotateRootKeyAsync(string? newKeyEnv, string? newPassphrase, CancellationToken ct, RootKeySource? target = null)
    {
        target ??= RootSource;
        // A pending next state of the target mode is resumed; Shamir shares once handed out cannot be read back, so a
        // pending Shamir state (and any pending state of another mode) is replaced.
        var pending = RootSource.PendingNext();
        if (pending is not null && (pending.Provider != target.Provider || pending.Provider == "shamir"))
        {
            pending.DiscardNext();
        }

        var next = target.HasNext ? target.Load(target.NextFile) : target.CreateNext(newKeyEnv, newPassphrase);
        FaultPoints.Reach("after-next");
        var current = RootKeys.Current;
        int count;
        try
        {
            count = await Store.WriteAsync(tx => RootKeyRotation.RewrapAllAsync(tx, current, next, ct), ct);
        }
        catch
        {
            next.Dispose();
            throw;
        }

        FaultPoints.Reach("after-commit");
        target.PromoteNext();
        var fingerprint = next.Fingerprint();
        next.Dispose();
        return (count, fingerprint);
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

    /// <summary>
    /// Creates the admin's first access key and writes it to admin.credentials, when the admin has none. Checked and
    /// created in one write transaction, so of several nodes initialising one database at once only one makes a key.
    /// </summary>
    public async Task EnsureAdminCredentialsAsync(CancellationToken ct)
    {
        if (await Store.GetSettingAsync(IdentityBootstrap.AdminAccessKeySetting, ct) is not null)
        {
            return;
        }

        var accessKeyId = "AKIA" + RandomString(AccessKeyAlphabet, 16);
        var secret = RandomString(SecretAlphabet, 40);
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            var created = await Store.WriteAsync(async tx =>
            {
                if (await tx.GetSettingAsync(IdentityBootstrap.AdminAccessKeySetting, ct) is not null)
                {
                    return false;
                }

                await UpsertAdminKeyAsync(tx, accessKeyId, secretBytes, ct);
                await tx.SetSettingAsync(IdentityBootstrap.AdminAccessKeySetting, accessKeyId, ct);
                return true;
            }, ct);
            if (created)
            {
                WriteCredentialsFile(accessKeyId, secret);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretBytes);
        }
    }

    /// <summary>Stores an access key for the admin (the secret wrapped by the root key under the administrator's binding).</summary>
    public async Task ImportAccessKeyAsync(string accessKeyId, string secretAccessKey, CancellationToken ct)
    {
        var secretBytes = Encoding.UTF8.GetBytes(secretAccessKey);
        try
        {
            await Store.WriteAsync(async tx =>
            {
                await UpsertAdminKeyAsync(tx, accessKeyId, secretBytes, ct);
                return true;
            }, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretBytes);
        }
    }

    private Task UpsertAdminKeyAsync(Core.Storage.IStoreTransaction tx, string accessKeyId, byte[] secretBytes, CancellationToken ct) =>
        new IamRecords(Root).CreateAccessKeyAsync(tx, accessKeyId, secretBytes, Identity.AdminUserId!, AdminArn(Identity.AccountId), IamService.AdminUserName,
            DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()), ct);

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
        RootKeys.Dispose();
    }
}
