using System.Globalization;
using Strongroom.Core.Audit;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// The `strongroom audit` commands. They read the store directly and need no root key: verification uses
/// only the published public key.
/// </summary>
public static class AuditTool
{
    /// <param name="dataDir">The data directory (SQLite: its strongroom.db).</param>
    /// <param name="postgres">With PostgreSQL storage, the connection string (the data directory is then not read).</param>
    /// <param name="ct">Cancellation.</param>
    private static async Task<Core.Storage.IStore> OpenAsync(string dataDir, string? postgres, CancellationToken ct)
    {
        if (postgres is not null)
        {
            var pg = new Storage.PostgreSql.PostgresStore(postgres);
            try
            {
                await pg.InitializeAsync(ct);
                return pg;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                await pg.DisposeAsync();
                throw new InvalidOperationException($"--postgres: cannot use the PostgreSQL database: {e.Message}", e);
            }
            catch
            {
                await pg.DisposeAsync();
                throw;
            }
        }

        var database = Path.Combine(Path.GetFullPath(dataDir), "strongroom.db");
        if (!File.Exists(database))
        {
            throw new DirectoryNotFoundException($"'{dataDir}' is not an initialised Strongroom data directory (no strongroom.db).");
        }

        var store = new SqliteStore(database);
        await store.InitializeAsync(ct);
        return store;
    }

    public static async Task<int> PublicKeyAsync(string dataDir, TextWriter output, TextWriter error, CancellationToken ct, string? postgres = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        await using var store = await OpenAsync(dataDir, postgres, ct);
        var pem = await store.GetSettingAsync(AuditSigner.PublicKeySetting, ct);
        if (pem is null)
        {
            await error.WriteLineAsync("strongroom: this data directory has no audit signing key yet (start the server once)");
            return 1;
        }

        await output.WriteLineAsync(pem);
        return 0;
    }

    /// <summary>Exit code 0 only when the whole trail verifies.</summary>
    public static async Task<int> VerifyAsync(string dataDir, string? publicKeyFile, TextWriter output, CancellationToken ct, string? archiveDirectory = null, string? postgres = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var store = await OpenAsync(dataDir, postgres, ct);
        string? pem;
        if (publicKeyFile is not null)
        {
            pem = await File.ReadAllTextAsync(publicKeyFile, ct);
        }
        else
        {
            pem = await store.GetSettingAsync(AuditSigner.PublicKeySetting, ct);
            await output.WriteLineAsync("note: using the public key stored in the data directory; pass --public-key with the key published by `strongroom audit public-key` to rule out a replaced key.");
        }

        if (pem is null)
        {
            await output.WriteLineAsync("FAILED: no audit public key");
            return 1;
        }

        var result = await AuditVerifier.VerifyAsync(store, pem, archiveDirectory ?? Path.Combine(Path.GetFullPath(dataDir), "audit-archive"), ct);
        await output.WriteLineAsync(result.Ok ? "OK: " + result.Message : $"FAILED at record {result.FirstBadSeq}: {result.Message}");
        return result.Ok ? 0 : 1;
    }

    /// <summary>Writes the trail as JSON lines (one CloudTrail record a line), oldest first.</summary>
    public static async Task<int> ExportAsync(string dataDir, string? since, TextWriter output, TextWriter error, CancellationToken ct, string? postgres = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                await error.WriteLineAsync($"strongroom: --since '{since}' is not an ISO-8601 time");
                return 2;
            }

            from = parsed;
        }

        await using var store = await OpenAsync(dataDir, postgres, ct);
        long seq = 0;
        while (true)
        {
            var rows = await store.ReadAuditAsync(seq, 2000, ct);
            if (rows.Count == 0)
            {
                return 0;
            }

            foreach (var row in rows)
            {
                if (from is null || row.EventTime >= from)
                {
                    await output.WriteLineAsync(row.Record);
                }

                seq = row.Seq;
            }
        }
    }
}
