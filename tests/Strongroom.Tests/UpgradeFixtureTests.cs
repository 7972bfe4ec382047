using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Upgrades never strand data: every fixture under tests/fixtures/upgrade/ (a data directory or PostgreSQL dump
/// written by an earlier release) opens with this build, reads back everything its expected.json lists through boto3
/// (check_fixture.py), takes writes, and its audit chain still verifies (`strongroom audit verify`). A store written by
/// a newer release is refused with a message that says so, and left byte for byte as it was.
/// </summary>
public sealed class UpgradeFixtureTests : IClassFixture<PostgresServer>
{
    private readonly PostgresServer _postgres;

    public UpgradeFixtureTests(PostgresServer postgres) => _postgres = postgres;

    private static string FixturesRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strongroom.slnx")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("no Strongroom.slnx above " + AppContext.BaseDirectory), "tests", "fixtures", "upgrade");
        }
    }

    public static TheoryData<string> Releases(string storage)
    {
        var data = new TheoryData<string>();
        foreach (var release in Directory.GetDirectories(FixturesRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (Directory.Exists(Path.Combine(FixturesRoot, release!, storage)))
            {
                data.Add(release!);
            }
        }

        return data;
    }

    public static TheoryData<string> SqliteReleases() => Releases("sqlite");

    public static TheoryData<string> PostgresReleases() => Releases("postgres");

    [Fact]
    public void Fixtures_AreThere_ForBothStores()
    {
        Assert.NotEmpty(SqliteReleases());
        Assert.NotEmpty(PostgresReleases());
    }

    [Theory]
    [MemberData(nameof(SqliteReleases))]
    public async Task SqliteDataDirectory_FromEarlierRelease_OpensReadsWritesAndVerifies(string release)
    {
        var fixture = Path.Combine(FixturesRoot, release, "sqlite");
        using var temp = new TempDir();
        var dataDir = CopyDataDir(Path.Combine(fixture, "data"), temp.Path);
        await using (var server = await ServerProcess.StartAsync(dataDir))
        {
            await CheckAsync(server, dataDir, Path.Combine(fixture, "expected.json"));
            Assert.Equal(0, await server.TerminateAsync());
        }

        var (code, output) = await ServerProcess.RunAsync("audit", "verify", "--data-dir", dataDir);
        Assert.True(code == 0, output);
        var (doctorCode, doctor) = await ServerProcess.RunAsync("doctor", "--data-dir", dataDir);
        Assert.True(doctorCode == 0, doctor);
        Assert.Contains("version " + Storage.Sqlite.SqliteStore.SchemaVersion + " (this build's)", doctor, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PostgresReleases))]
    public async Task PostgresDump_FromEarlierRelease_OpensReadsWritesAndVerifies(string release)
    {
        var fixture = Path.Combine(FixturesRoot, release, "postgres");
        using var temp = new TempDir();
        var dataDir = CopyDataDir(Path.Combine(fixture, "data"), temp.Path);
        var connection = RestoreDump(Path.Combine(fixture, "postgres.sql"));
        var environment = ServerProcess.PostgresEnvironment(connection);
        await using (var server = await ServerProcess.StartAsync(dataDir, environment: environment))
        {
            await CheckAsync(server, dataDir, Path.Combine(fixture, "expected.json"));
            Assert.Equal(0, await server.TerminateAsync());
        }

        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, "audit", "verify", "--data-dir", dataDir);
        Assert.True(code == 0, output);
        var (doctorCode, doctor) = await ServerProcess.RunWithEnvironmentAsync(environment, "doctor", "--data-dir", dataDir);
        Assert.True(doctorCode == 0, doctor);
        Assert.Contains("reachable", doctor, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SqliteReleases))]
    public async Task SqliteDataDirectory_FromNewerSchema_IsRefusedAndUnchanged(string release)
    {
        using var temp = new TempDir();
        var dataDir = CopyDataDir(Path.Combine(FixturesRoot, release, "sqlite", "data"), temp.Path);
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "strongroom.db"), Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var bump = connection.CreateCommand();
            bump.CommandText = "INSERT INTO schema_version (version) VALUES (999)";
            await bump.ExecuteNonQueryAsync();
        }

        var before = Snapshot(dataDir);
        var (code, output) = await ServerProcess.RunAsync("server", "--data-dir", dataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.NotEqual(0, code);
        Assert.Contains("schema is version 999, newer than this build", output, StringComparison.Ordinal);
        Assert.Contains("Upgrade Strongroom", output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dataDir));

        var (doctorCode, doctor) = await ServerProcess.RunAsync("doctor", "--data-dir", dataDir);
        Assert.Equal(1, doctorCode);
        Assert.Contains("schema is version 999, newer than this build", doctor, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dataDir));
    }

    [Theory]
    [MemberData(nameof(PostgresReleases))]
    public async Task PostgresDatabase_FromNewerSchema_IsRefusedAndUnchanged(string release)
    {
        var fixture = Path.Combine(FixturesRoot, release, "postgres");
        using var temp = new TempDir();
        var dataDir = CopyDataDir(Path.Combine(fixture, "data"), temp.Path);
        var connection = RestoreDump(Path.Combine(fixture, "postgres.sql"));
        await using (var db = new NpgsqlConnection(connection))
        {
            await db.OpenAsync();
            await using var bump = new NpgsqlCommand("INSERT INTO schema_version (version) VALUES (999)", db);
            await bump.ExecuteNonQueryAsync();
        }

        var before = await TableDigestAsync(connection);
        var (code, output) = await ServerProcess.RunWithEnvironmentAsync(ServerProcess.PostgresEnvironment(connection), "server", "--data-dir", dataDir, "--listen", $"127.0.0.1:{ServerProcess.FreePort()}");
        Assert.NotEqual(0, code);
        Assert.Contains("schema is version 999, newer than this build", output, StringComparison.Ordinal);
        Assert.Equal(before, await TableDigestAsync(connection));
    }

    /// <summary>Runs check_fixture.py (boto3) against the server with the fixture's admin credentials.</summary>
    private static async Task CheckAsync(ServerProcess server, string dataDir, string expected)
    {
        var script = Path.Combine(FixturesRoot, "check_fixture.py");
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, "--endpoint", server.Endpoint.ToString().TrimEnd('/'), "--credentials", Path.Combine(dataDir, "admin.credentials"), "--expected", expected })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var report = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, report + "\nserver:\n" + server.Output);
        Assert.Matches(@"upgrade-check: [1-9][0-9]* passed, 0 failed", report);
    }

    /// <summary>Restores a plain pg_dump into a new database of the throw-away cluster; returns its connection string.</summary>
    private string RestoreDump(string dump)
    {
        var connection = _postgres.CreateDatabase();
        var socket = new NpgsqlConnectionStringBuilder(_postgres.SocketConnectionString("postgres"));
        var database = new NpgsqlConnectionStringBuilder(connection).Database!;
        Proc.Run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socket.Host!, "-p", socket.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-f", dump]);
        return connection;
    }

    private static string CopyDataDir(string from, string under)
    {
        var to = Path.Combine(under, "data");
        Directory.CreateDirectory(to);
        File.SetUnixFileMode(to, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in Directory.GetFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return to;
    }

    /// <summary>Every file's name and SHA-256.</summary>
    private static string Snapshot(string dir) => string.Join(
        "\n",
        Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f) + " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));

    /// <summary>Every table's rows, digested (md5 of the ordered row texts), for a before/after comparison.</summary>
    private static async Task<string> TableDigestAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", db))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var digests = new List<string>();
        foreach (var table in tables)
        {
            await using var digest = new NpgsqlCommand($"SELECT '{table} ' || count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t", db);
            digests.Add((string)(await digest.ExecuteScalarAsync())!);
        }

        return string.Join("\n", digests);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("strongroom-upgrade-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
