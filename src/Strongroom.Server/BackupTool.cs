using Microsoft.Data.Sqlite;
using Strongroom.Storage.Sqlite;

namespace Strongroom.Server;

/// <summary>
/// Online backup and restore. A backup is a SQLite database file: a consistent snapshot of the store taken
/// while the server runs (VACUUM INTO). It holds only ciphertext and root-wrapped keys, never the root key,
/// so it is useless without the root key the operator keeps separately.
/// </summary>
public static class BackupTool
{
    public static async Task<int> CreateAsync(string dataDir, string outFile, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        var database = Path.Combine(Path.GetFullPath(dataDir), "strongroom.db");
        if (!File.Exists(database))
        {
            throw new DirectoryNotFoundException($"'{dataDir}' is not an initialised Strongroom data directory (no strongroom.db).");
        }

        var target = Path.GetFullPath(outFile);
        if (File.Exists(target))
        {
            throw new IOException($"'{target}' exists; a backup never overwrites a file");
        }

        await using (var store = new SqliteStore(database))
        {
            await store.InitializeAsync(ct);
            await store.BackupAsync(target, ct);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var (secrets, records) = Check(target);
        await output.WriteLineAsync($"Backed up {secrets} secrets and {records} audit records to {target} ({new FileInfo(target).Length} bytes). The root key is not in it: keep it separately.");
        return 0;
    }

    public static async Task<int> RestoreAsync(string dataDir, string inFile, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        var directory = Path.GetFullPath(dataDir);
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new IOException($"'{directory}' is not empty; restore only into an empty or new directory");
        }

        var (secrets, records) = Check(Path.GetFullPath(inFile));
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var database = Path.Combine(directory, "strongroom.db");
        File.Copy(inFile, database);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(database, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await output.WriteLineAsync($"Restored {secrets} secrets and {records} audit records into {directory}. Copy the data directory's root key (root.key, or root.key.kdf for a passphrase) into it before starting: the server refuses to start without it.");
        await Task.CompletedTask;
        return 0;
    }

    /// <summary>Checks a backup file's integrity; returns what it holds.</summary>
    private static (long Secrets, long Records) Check(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"backup file '{path}' does not exist", path);
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        var result = check.ExecuteScalar() as string;
        if (result != "ok")
        {
            throw new InvalidOperationException($"backup file '{path}' is damaged: {result}");
        }

        using var count = connection.CreateCommand();
        count.CommandText = "SELECT (SELECT COUNT(*) FROM secrets), (SELECT COUNT(*) FROM audit_events)";
        using var reader = count.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
