using System.Globalization;
using System.Text.Json;
using Npgsql;
using Strongroom.Storage.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Rotation.Tests;

/// <summary>The PostgreSQL rotators against a real throw-away PostgreSQL.</summary>
[Collection("postgres")]
public sealed class PostgreSqlRotatorTests(PostgresServer pg, ITestOutputHelper output)
{
    private readonly InMemorySecretsManager sm = new();

    [Fact]
    public async Task SingleUser_Rotation_NewPasswordWorks_OldRefused_PreviousHoldsOld()
    {
        (string arn, string user, string oldPassword, _) = await SingleUserSecretAsync();
        await RotationHarness.RotateAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn);

        (string u, string newPassword) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, u);
        Assert.NotEqual(oldPassword, newPassword);
        Assert.Equal(1, await ScalarAsync(user, newPassword, "postgres", "SELECT 1"));
        await AssertLoginRefusedAsync(user, oldPassword);
        Assert.Equal(oldPassword, RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")).Password);

        // A second rotation works from the new password.
        await RotationHarness.RotateAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn);
        string third = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1, await ScalarAsync(user, third, "postgres", "SELECT 1"));
        await AssertLoginRefusedAsync(user, newPassword);
    }

    [Fact]
    public async Task SingleUser_EveryStepRunTwice_IsIdempotent()
    {
        (string arn, string user, _, _) = await SingleUserSecretAsync();
        await RotationHarness.RotateAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn, twice: true);
        string password = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1, await ScalarAsync(user, password, "postgres", "SELECT 1"));
    }

    [Fact]
    public async Task SingleUser_CurrentPasswordNoLongerWorks_LogsInWithPrevious()
    {
        (string arn, string user, string first, _) = await SingleUserSecretAsync();
        await RotationHarness.RotateAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn);

        // Someone puts the old password back: AWSCURRENT fails, AWSPREVIOUS works.
        await ExecAsync(pg.SocketConnectionString("postgres"), $"ALTER ROLE \"{user}\" PASSWORD '{first}'");
        await RotationHarness.RotateAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn);
        string password = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1, await ScalarAsync(user, password, "postgres", "SELECT 1"));
        await AssertLoginRefusedAsync(user, first);
    }

    [Fact]
    public async Task SingleUser_NoPasswordWorks_FailsCleanly()
    {
        (string arn, string user, _, _) = await SingleUserSecretAsync();
        await ExecAsync(pg.SocketConnectionString("postgres"), $"ALTER ROLE \"{user}\" PASSWORD 'something-else'");
        string token = sm.StartRotation(arn);
        var r = RotationHarness.Rotator("postgresql-single-user");
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains($"setSecret: could not log in to postgres at 127.0.0.1:{pg.Port} as user {user}", e.Message, StringComparison.Ordinal);
        RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, pg.MasterPassword, "something-else"]);
        e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.TestSecret));
        RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, pg.MasterPassword, "something-else"]);
    }

    [Fact]
    public async Task SingleUser_DatabaseStoppedBeforeSetSecret_FailsCleanly_ThenCompletesAfterRestart()
    {
        (string arn, string user, string oldPassword, _) = await SingleUserSecretAsync();
        var r = RotationHarness.Rotator("postgresql-single-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        pg.Stop();
        try
        {
            var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
            Assert.StartsWith("setSecret: could not log in to postgres", e.Message, StringComparison.Ordinal);
            RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, pg.MasterPassword]);
        }
        finally
        {
            pg.Start();
        }

        foreach (string step in RotationEvent.Steps)
        {
            await RotationHarness.StepAsync(r, sm, arn, token, step);
        }

        sm.CompleteRotation(arn);
        string password = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1, await ScalarAsync(user, password, "postgres", "SELECT 1"));
        await AssertLoginRefusedAsync(user, oldPassword);
    }

    [Fact]
    public async Task SingleUser_PendingForAnotherHost_Refused()
    {
        (string arn, _, _, string json) = await SingleUserSecretAsync();
        string token = sm.StartRotation(arn);
        await sm.PutSecretValueAsync(arn, token, json.Replace("\"127.0.0.1\"", "\"localhost\"", StringComparison.Ordinal).Replace("\"password\":\"", "\"password\":\"x", StringComparison.Ordinal), ["AWSPENDING"], CancellationToken.None);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains("other than current host", e.Message, StringComparison.Ordinal);
        RotationHarness.AssertNoSecret(e, sm.KnownPasswords);
    }

    [Fact]
    public async Task MultiUser_TwoRotations_AlternateUsers_BothWork_GroupRoleSharesObjectsAndGrants()
    {
        (string arn, string user, string firstPassword, string db) = await MultiUserSecretAsync();
        string clone = user + "_clone";
        string group = user + "_group";
        var r = RotationHarness.Rotator("postgresql-multi-user");

        await RotationHarness.RotateAsync(r, sm, arn);
        (string u1, string clonePassword) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(clone, u1);
        Assert.Equal((user, firstPassword), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")));

        // Both users work; the table the base user made before rotation is now the group's and usable by the clone.
        Assert.Equal(1, await ScalarAsync(user, firstPassword, db, "SELECT 1"));
        Assert.Equal(group, await ScalarAsync(clone, clonePassword, db, "SELECT tableowner FROM pg_tables WHERE tablename = 'before_rotation'"));
        await ExecAsync(pg.TcpConnectionString(clone, clonePassword, db), "INSERT INTO before_rotation VALUES (2)");
        Assert.Equal(2L, await ScalarAsync(clone, clonePassword, db, "SELECT count(*) FROM before_rotation"));

        // The base user's grant on the master's table reached the group.
        Assert.Equal(7, await ScalarAsync(clone, clonePassword, db, "SELECT v FROM master_table"));

        // A table either user creates after the first rotation is usable and droppable by the other.
        await ExecAsync(pg.TcpConnectionString(clone, clonePassword, db), "CREATE TABLE by_clone (v int); INSERT INTO by_clone VALUES (1)");
        await ExecAsync(pg.TcpConnectionString(user, firstPassword, db), "INSERT INTO by_clone VALUES (2)");
        Assert.Equal(2L, await ScalarAsync(user, firstPassword, db, "SELECT count(*) FROM by_clone"));
        await ExecAsync(pg.TcpConnectionString(user, firstPassword, db), "CREATE TABLE by_base (v int); INSERT INTO by_base VALUES (1)");
        await ExecAsync(pg.TcpConnectionString(clone, clonePassword, db), "INSERT INTO by_base VALUES (2)");
        Assert.Equal(2L, await ScalarAsync(clone, clonePassword, db, "SELECT count(*) FROM by_base"));
        await ExecAsync(pg.TcpConnectionString(user, firstPassword, db), "DROP TABLE by_clone");
        await ExecAsync(pg.TcpConnectionString(clone, clonePassword, db), "DROP TABLE by_base");

        // A grant made to the group after the first rotation works for both users.
        await ExecAsync(pg.SocketConnectionString(db), $"CREATE TABLE granted_later (v int); INSERT INTO granted_later VALUES (9); GRANT SELECT ON granted_later TO \"{group}\"");
        Assert.Equal(9, await ScalarAsync(user, firstPassword, db, "SELECT v FROM granted_later"));
        Assert.Equal(9, await ScalarAsync(clone, clonePassword, db, "SELECT v FROM granted_later"));

        // Second rotation: back to the base user with a new password; the clone keeps working.
        await RotationHarness.RotateAsync(r, sm, arn);
        (string u2, string basePassword) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, u2);
        Assert.NotEqual(firstPassword, basePassword);
        Assert.Equal((clone, clonePassword), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")));
        await AssertLoginRefusedAsync(user, firstPassword, db);
        Assert.Equal(9, await ScalarAsync(user, basePassword, db, "SELECT v FROM granted_later"));
        Assert.Equal(9, await ScalarAsync(clone, clonePassword, db, "SELECT v FROM granted_later"));
        await ExecAsync(pg.TcpConnectionString(user, basePassword, db), "CREATE TABLE after_second (v int)");
        await ExecAsync(pg.TcpConnectionString(clone, clonePassword, db), "INSERT INTO after_second VALUES (1); DROP TABLE after_second");

        // Third rotation changes the clone's password.
        await RotationHarness.RotateAsync(r, sm, arn);
        (string u3, string clonePassword2) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(clone, u3);
        await AssertLoginRefusedAsync(clone, clonePassword, db);
        Assert.Equal(2L, await ScalarAsync(clone, clonePassword2, db, "SELECT count(*) FROM before_rotation"));
    }

    [Fact]
    public async Task MultiUser_EveryStepRunTwice_IsIdempotent()
    {
        (string arn, string user, string firstPassword, string db) = await MultiUserSecretAsync();
        var r = RotationHarness.Rotator("postgresql-multi-user");
        await RotationHarness.RotateAsync(r, sm, arn, twice: true);
        await RotationHarness.RotateAsync(r, sm, arn, twice: true);
        (string u, string p) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, u);
        Assert.Equal(1L, await ScalarAsync(u, p, db, "SELECT count(*) FROM before_rotation"));
        await AssertLoginRefusedAsync(user, firstPassword, db);
    }

    [Fact]
    public async Task MultiUser_DatabaseStoppedBeforeSetSecret_FailsCleanly_ThenCompletesAfterRestart()
    {
        (string arn, string user, _, string db) = await MultiUserSecretAsync();
        var r = RotationHarness.Rotator("postgresql-multi-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        pg.Stop();
        try
        {
            var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
            Assert.StartsWith("setSecret: could not log in to postgres", e.Message, StringComparison.Ordinal);
            RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, pg.MasterPassword]);
        }
        finally
        {
            pg.Start();
        }

        foreach (string step in RotationEvent.Steps)
        {
            await RotationHarness.StepAsync(r, sm, arn, token, step);
        }

        sm.CompleteRotation(arn);
        (string u, string p) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user + "_clone", u);
        Assert.Equal(1L, await ScalarAsync(u, p, db, "SELECT count(*) FROM before_rotation"));
    }

    [Fact]
    public async Task MultiUser_WrongMasterPassword_FailsCleanly_AndLeavesNothing()
    {
        (string arn, string user, _, _) = await MultiUserSecretAsync(masterPassword: "wrong-master-pw");
        var r = RotationHarness.Rotator("postgresql-multi-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains("Unable to log into database using credentials in master secret", e.Message, StringComparison.Ordinal);
        RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, pg.MasterPassword]);
        Assert.Equal(0L, await SuperScalarAsync("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{user}\\_%'"));
    }

    /// <summary>
    /// Every failure the rotators can be driven into here (tampered pending secrets, wrong passwords, a master
    /// without privileges whose SQL statements fail, a stopped server): no message or ToString holds a password.
    /// </summary>
    [Fact]
    public async Task EveryFailure_NoExceptionTextHoldsAPassword()
    {
        var failures = new List<Exception>();
        async Task Expect(StepRun run)
        {
            try
            {
                await run();
            }
            catch (RotationStepException e)
            {
                failures.Add(e);
                return;
            }

            Assert.Fail("the step was expected to fail");
        }

        var single = RotationHarness.Rotator("postgresql-single-user");
        var multi = RotationHarness.Rotator("postgresql-multi-user");

        // Pending secret tampered: other user, other host, other port, other database.
        foreach ((string from, string to) in new[] { ("\"username\":\"", "\"username\":\"x"), ("127.0.0.1", "localhost"), ("\"port\":\"", "\"port\":\"1"), ("\"engine\"", "\"dbname\":\"other\",\"engine\"") })
        {
            (string arn, _, _, string json) = await SingleUserSecretAsync();
            string token = sm.StartRotation(arn);
            string pending = json.Replace(from, to, StringComparison.Ordinal).Replace("\"password\":\"", "\"password\":\"tampered-", StringComparison.Ordinal);
            await sm.PutSecretValueAsync(arn, token, pending, ["AWSPENDING"], CancellationToken.None);
            await Expect(() => RotationHarness.StepAsync(single, sm, arn, token, RotationEvent.SetSecret));
            await Expect(() => RotationHarness.StepAsync(single, sm, arn, token, RotationEvent.TestSecret));
        }

        // A master that can log in but may not create roles: the SQL fails inside setSecret.
        string weak = RotationHarness.Unique("weak");
        string weakPassword = Proc.RandomPassword();
        await ExecAsync(pg.SocketConnectionString("postgres"), $"CREATE ROLE \"{weak}\" LOGIN PASSWORD '{weakPassword}'");
        (string marn, _, _, _) = await MultiUserSecretAsync(masterUser: weak, masterPassword: weakPassword);
        string mtoken = sm.StartRotation(marn);
        await RotationHarness.StepAsync(multi, sm, marn, mtoken, RotationEvent.CreateSecret);
        await Expect(() => RotationHarness.StepAsync(multi, sm, marn, mtoken, RotationEvent.SetSecret));
        Assert.Contains("42501: permission denied to create role", failures[^1].Message, StringComparison.Ordinal);

        // Wrong master password; current password changed behind the rotator's back.
        (string warn, string wuser, _, _) = await MultiUserSecretAsync(masterPassword: "wrong-master-pw");
        string wtoken = sm.StartRotation(warn);
        await RotationHarness.StepAsync(multi, sm, warn, wtoken, RotationEvent.CreateSecret);
        await Expect(() => RotationHarness.StepAsync(multi, sm, warn, wtoken, RotationEvent.SetSecret));
        await ExecAsync(pg.SocketConnectionString("postgres"), $"ALTER ROLE \"{wuser}\" PASSWORD 'changed-behind-1'");
        await Expect(() => RotationHarness.StepAsync(multi, sm, warn, wtoken, RotationEvent.SetSecret));

        // Server stopped: every database step.
        (string sarn, _, _, _) = await SingleUserSecretAsync();
        string stoken = sm.StartRotation(sarn);
        await RotationHarness.StepAsync(single, sm, sarn, stoken, RotationEvent.CreateSecret);
        pg.Stop();
        try
        {
            await Expect(() => RotationHarness.StepAsync(single, sm, sarn, stoken, RotationEvent.SetSecret));
            await Expect(() => RotationHarness.StepAsync(single, sm, sarn, stoken, RotationEvent.TestSecret));
            await Expect(() => RotationHarness.StepAsync(multi, sm, marn, mtoken, RotationEvent.SetSecret));
        }
        finally
        {
            pg.Start();
        }

        string[] passwords = [.. sm.KnownPasswords, pg.MasterPassword, weakPassword, "changed-behind-1", "wrong-master-pw"];
        Assert.True(failures.Count >= 14, $"only {failures.Count} failures");
        foreach (Exception e in failures)
        {
            RotationHarness.AssertNoSecret(e, passwords);
            output.WriteLine(e.Message);
        }
    }

    private delegate Task StepRun();

    private async Task<(string Arn, string User, string Password, string Json)> SingleUserSecretAsync()
    {
        string user = RotationHarness.Unique("pgs");
        string password = Proc.RandomPassword();
        await ExecAsync(pg.SocketConnectionString("postgres"), $"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'");
        string json = JsonSerializer.Serialize(new { engine = "postgres", host = "127.0.0.1", port = pg.Port.ToString(CultureInfo.InvariantCulture), username = user, password });
        return (sm.CreateSecret(user, json), user, password, json);
    }

    /// <summary>
    /// A user with its own database: it may create in schema public, owns a table made before any rotation, and
    /// may read a master-owned table.
    /// </summary>
    private async Task<(string Arn, string User, string Password, string Db)> MultiUserSecretAsync(string? masterPassword = null, string masterUser = "postgres")
    {
        string user = RotationHarness.Unique("pgm");
        string db = user + "_db";
        string password = Proc.RandomPassword();
        await ExecAsync(pg.SocketConnectionString("postgres"), $"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'");
        await ExecAsync(pg.SocketConnectionString("postgres"), $"CREATE DATABASE \"{db}\"");
        await ExecAsync(pg.SocketConnectionString(db), $"GRANT CREATE, USAGE ON SCHEMA public TO \"{user}\"; CREATE TABLE master_table (v int); INSERT INTO master_table VALUES (7); GRANT SELECT ON master_table TO \"{user}\"");
        await ExecAsync(pg.TcpConnectionString(user, password, db), "CREATE TABLE before_rotation (v int); INSERT INTO before_rotation VALUES (1)");

        string masterArn = sm.CreateSecret(user + "-master", JsonSerializer.Serialize(new { engine = "postgres", host = "127.0.0.1", port = pg.Port, username = masterUser, password = masterPassword ?? pg.MasterPassword }));
        string json = JsonSerializer.Serialize(new { engine = "postgres", host = "127.0.0.1", port = pg.Port, username = user, password, dbname = db, masterarn = masterArn });
        return (sm.CreateSecret(user, json), user, password, db);
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string user, string password, string db, string sql)
    {
        await using var conn = new NpgsqlConnection(pg.TcpConnectionString(user, password, db));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    private async Task<object?> SuperScalarAsync(string db, string sql)
    {
        await using var conn = new NpgsqlConnection(pg.SocketConnectionString(db));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    private async Task AssertLoginRefusedAsync(string user, string password, string db = "postgres")
    {
        var e = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(user, password, db, "SELECT 1"));
        Assert.Equal("28P01", e.SqlState);
    }
}
