using System.Globalization;
using System.Text.Json;
using MySqlConnector;
using Strongroom.Storage.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Rotation.Tests;

/// <summary>The MySQL/MariaDB rotators against a real throw-away MariaDB.</summary>
[Collection("mariadb")]
public sealed class MySqlRotatorTests(MariaDbServer db, ITestOutputHelper output)
{
    private readonly InMemorySecretsManager sm = new();

    [Fact]
    public async Task SingleUser_Rotation_NewPasswordWorks_OldRefused_PreviousHoldsOld()
    {
        (string arn, string user, string oldPassword, _) = await SingleUserSecretAsync();
        await RotationHarness.RotateAsync(RotationHarness.Rotator("mysql-single-user"), sm, arn);

        (string u, string newPassword) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, u);
        Assert.NotEqual(oldPassword, newPassword);
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(user, newPassword, null, "SELECT 1"), CultureInfo.InvariantCulture));
        await AssertLoginRefusedAsync(user, oldPassword);
        Assert.Equal(oldPassword, RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")).Password);

        await RotationHarness.RotateAsync(RotationHarness.Rotator("mysql-single-user"), sm, arn);
        string third = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(user, third, null, "SELECT 1"), CultureInfo.InvariantCulture));
        await AssertLoginRefusedAsync(user, newPassword);
    }

    [Fact]
    public async Task SingleUser_EveryStepRunTwice_IsIdempotent()
    {
        (string arn, string user, string oldPassword, _) = await SingleUserSecretAsync();
        await RotationHarness.RotateAsync(RotationHarness.Rotator("mysql-single-user"), sm, arn, twice: true);
        string password = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(user, password, null, "SELECT 1"), CultureInfo.InvariantCulture));
        await AssertLoginRefusedAsync(user, oldPassword);
    }

    [Fact]
    public async Task SingleUser_DatabaseStoppedBeforeSetSecret_FailsCleanly_ThenCompletesAfterRestart()
    {
        (string arn, string user, string oldPassword, _) = await SingleUserSecretAsync();
        var r = RotationHarness.Rotator("mysql-single-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        db.Stop();
        try
        {
            var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
            Assert.StartsWith("setSecret: could not log in to mysql", e.Message, StringComparison.Ordinal);
            RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, db.MasterPassword]);
        }
        finally
        {
            db.Start();
        }

        foreach (string step in RotationEvent.Steps)
        {
            await RotationHarness.StepAsync(r, sm, arn, token, step);
        }

        sm.CompleteRotation(arn);
        string password = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(user, password, null, "SELECT 1"), CultureInfo.InvariantCulture));
        await AssertLoginRefusedAsync(user, oldPassword);
    }

    [Fact]
    public async Task SingleUser_NoPasswordWorks_FailsCleanly()
    {
        (string arn, string user, _, _) = await SingleUserSecretAsync();
        await RootExecAsync($"ALTER USER '{user}'@'%' IDENTIFIED BY 'something-else'");
        string token = sm.StartRotation(arn);
        var r = RotationHarness.Rotator("mysql-single-user");
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains($"setSecret: could not log in to mysql at 127.0.0.1:{db.Port} as user {user}", e.Message, StringComparison.Ordinal);
        RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, db.MasterPassword, "something-else"]);
    }

    [Fact]
    public async Task MultiUser_TwoRotations_AlternateUsers_BothWork_GroupRoleSharesGrants()
    {
        (string arn, string user, string firstPassword, string schema) = await MultiUserSecretAsync();
        string clone = user + "_clone";
        string group = user + "_group";
        var r = RotationHarness.Rotator("mysql-multi-user");

        await RotationHarness.RotateAsync(r, sm, arn);
        (string u1, string clonePassword) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(clone, u1);
        Assert.Equal((user, firstPassword), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")));

        // The table the base user made before rotation is usable by the clone through the copied grants.
        await ExecAsync(clone, clonePassword, schema, "INSERT INTO before_rotation VALUES (2)");
        Assert.Equal(2L, Convert.ToInt64(await ScalarAsync(user, firstPassword, schema, "SELECT count(*) FROM before_rotation"), CultureInfo.InvariantCulture));

        // A table either user creates is usable and droppable by the other.
        await ExecAsync(clone, clonePassword, schema, "CREATE TABLE by_clone (v int); INSERT INTO by_clone VALUES (1)");
        await ExecAsync(user, firstPassword, schema, "INSERT INTO by_clone VALUES (2)");
        Assert.Equal(2L, Convert.ToInt64(await ScalarAsync(user, firstPassword, schema, "SELECT count(*) FROM by_clone"), CultureInfo.InvariantCulture));
        await ExecAsync(user, firstPassword, schema, "CREATE TABLE by_base (v int); INSERT INTO by_base VALUES (1)");
        await ExecAsync(clone, clonePassword, schema, "INSERT INTO by_base VALUES (2); DROP TABLE by_base");
        await ExecAsync(user, firstPassword, schema, "DROP TABLE by_clone");

        // A grant made to the role after the first rotation works for both users.
        string other = schema + "_later";
        await RootExecAsync($"CREATE DATABASE `{other}`; CREATE TABLE `{other}`.t (v int); INSERT INTO `{other}`.t VALUES (9); GRANT SELECT ON `{other}`.* TO `{group}`");
        Assert.Equal(9, await ScalarAsync(user, firstPassword, null, $"SELECT v FROM `{other}`.t"));
        Assert.Equal(9, await ScalarAsync(clone, clonePassword, null, $"SELECT v FROM `{other}`.t"));

        // Second rotation: back to the base user with a new password; the clone keeps working.
        await RotationHarness.RotateAsync(r, sm, arn);
        (string u2, string basePassword) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, u2);
        Assert.Equal((clone, clonePassword), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")));
        await AssertLoginRefusedAsync(user, firstPassword);
        Assert.Equal(9, await ScalarAsync(user, basePassword, null, $"SELECT v FROM `{other}`.t"));
        Assert.Equal(9, await ScalarAsync(clone, clonePassword, null, $"SELECT v FROM `{other}`.t"));
        Assert.Equal(2L, Convert.ToInt64(await ScalarAsync(clone, clonePassword, schema, "SELECT count(*) FROM before_rotation"), CultureInfo.InvariantCulture));

        // Third rotation changes the clone's password.
        await RotationHarness.RotateAsync(r, sm, arn);
        (string u3, string clonePassword2) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(clone, u3);
        await AssertLoginRefusedAsync(clone, clonePassword);
        Assert.Equal(9, await ScalarAsync(clone, clonePassword2, null, $"SELECT v FROM `{other}`.t"));
    }

    [Fact]
    public async Task MultiUser_EveryStepRunTwice_IsIdempotent()
    {
        (string arn, string user, string firstPassword, string schema) = await MultiUserSecretAsync();
        var r = RotationHarness.Rotator("mysql-multi-user");
        await RotationHarness.RotateAsync(r, sm, arn, twice: true);
        await RotationHarness.RotateAsync(r, sm, arn, twice: true);
        (string u, string p) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, u);
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(u, p, schema, "SELECT count(*) FROM before_rotation"), CultureInfo.InvariantCulture));
        await AssertLoginRefusedAsync(user, firstPassword);
    }

    [Fact]
    public async Task MultiUser_DatabaseStoppedBeforeSetSecret_FailsCleanly_ThenCompletesAfterRestart()
    {
        (string arn, string user, _, string schema) = await MultiUserSecretAsync();
        var r = RotationHarness.Rotator("mysql-multi-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        db.Stop();
        try
        {
            var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
            Assert.StartsWith("setSecret: could not log in to mysql", e.Message, StringComparison.Ordinal);
            RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, db.MasterPassword]);
        }
        finally
        {
            db.Start();
        }

        foreach (string step in RotationEvent.Steps)
        {
            await RotationHarness.StepAsync(r, sm, arn, token, step);
        }

        sm.CompleteRotation(arn);
        (string u, string p) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user + "_clone", u);
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(u, p, schema, "SELECT count(*) FROM before_rotation"), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task MultiUser_WrongMasterPassword_FailsCleanly()
    {
        (string arn, _, _, _) = await MultiUserSecretAsync(masterPassword: "wrong-master-pw");
        var r = RotationHarness.Rotator("mysql-multi-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains("Unable to log into database using credentials in master secret", e.Message, StringComparison.Ordinal);
        RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, db.MasterPassword]);
    }

    /// <summary>
    /// Every failure the rotators can be driven into here (tampered pending secrets, wrong passwords, a master
    /// without privileges whose account statements fail, a stopped server): no message or ToString holds a password.
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

        var single = RotationHarness.Rotator("mysql-single-user");
        var multi = RotationHarness.Rotator("mysql-multi-user");

        foreach ((string from, string to) in new[] { ("\"username\":\"", "\"username\":\"x"), ("127.0.0.1", "localhost"), ("\"port\":\"", "\"port\":\"1"), ("\"engine\":\"mariadb\"", "\"engine\":\"mysql\"") })
        {
            (string arn, _, _, string json) = await SingleUserSecretAsync();
            string token = sm.StartRotation(arn);
            string pending = json.Replace(from, to, StringComparison.Ordinal).Replace("\"password\":\"", "\"password\":\"tampered-", StringComparison.Ordinal);
            await sm.PutSecretValueAsync(arn, token, pending, ["AWSPENDING"], CancellationToken.None);
            await Expect(() => RotationHarness.StepAsync(single, sm, arn, token, RotationEvent.SetSecret));
            await Expect(() => RotationHarness.StepAsync(single, sm, arn, token, RotationEvent.TestSecret));
        }

        // A master that can log in but may not create users or roles: the statements fail inside setSecret.
        string weak = RotationHarness.Unique("weak");
        string weakPassword = Proc.RandomPassword();
        await RootExecAsync($"CREATE USER '{weak}'@'%' IDENTIFIED BY '{weakPassword}'; GRANT SELECT ON mysql.* TO '{weak}'@'%'");
        (string marn, _, _, _) = await MultiUserSecretAsync(masterUser: weak, masterPassword: weakPassword);
        string mtoken = sm.StartRotation(marn);
        await RotationHarness.StepAsync(multi, sm, marn, mtoken, RotationEvent.CreateSecret);
        await Expect(() => RotationHarness.StepAsync(multi, sm, marn, mtoken, RotationEvent.SetSecret));

        (string warn, string wuser, _, _) = await MultiUserSecretAsync(masterPassword: "wrong-master-pw");
        string wtoken = sm.StartRotation(warn);
        await RotationHarness.StepAsync(multi, sm, warn, wtoken, RotationEvent.CreateSecret);
        await Expect(() => RotationHarness.StepAsync(multi, sm, warn, wtoken, RotationEvent.SetSecret));
        await RootExecAsync($"ALTER USER '{wuser}'@'%' IDENTIFIED BY 'changed-behind-1'");
        await Expect(() => RotationHarness.StepAsync(multi, sm, warn, wtoken, RotationEvent.SetSecret));

        (string sarn, _, _, _) = await SingleUserSecretAsync();
        string stoken = sm.StartRotation(sarn);
        await RotationHarness.StepAsync(single, sm, sarn, stoken, RotationEvent.CreateSecret);
        db.Stop();
        try
        {
            await Expect(() => RotationHarness.StepAsync(single, sm, sarn, stoken, RotationEvent.SetSecret));
            await Expect(() => RotationHarness.StepAsync(single, sm, sarn, stoken, RotationEvent.TestSecret));
            await Expect(() => RotationHarness.StepAsync(multi, sm, marn, mtoken, RotationEvent.SetSecret));
        }
        finally
        {
            db.Start();
        }

        string[] passwords = [.. sm.KnownPasswords, db.MasterPassword, weakPassword, "changed-behind-1", "wrong-master-pw"];
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
        string user = RotationHarness.Unique("mys");
        string password = Proc.RandomPassword();
        await RootExecAsync($"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'");
        string json = JsonSerializer.Serialize(new { engine = "mariadb", host = "127.0.0.1", port = db.Port.ToString(CultureInfo.InvariantCulture), username = user, password });
        return (sm.CreateSecret(user, json), user, password, json);
    }

    /// <summary>A user with ALL on its own database, owning a table made before any rotation.</summary>
    private async Task<(string Arn, string User, string Password, string Schema)> MultiUserSecretAsync(string? masterPassword = null, string masterUser = "master")
    {
        string user = RotationHarness.Unique("mym");
        string schema = user + "_db";
        string password = Proc.RandomPassword();
        await RootExecAsync($"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; CREATE DATABASE `{schema}`; GRANT ALL ON `{schema}`.* TO '{user}'@'%'");
        await ExecAsync(user, password, schema, "CREATE TABLE before_rotation (v int); INSERT INTO before_rotation VALUES (1)");

        string masterArn = sm.CreateSecret(user + "-master", JsonSerializer.Serialize(new { engine = "mysql", host = "127.0.0.1", port = db.Port, username = masterUser, password = masterPassword ?? db.MasterPassword }));
        string json = JsonSerializer.Serialize(new { engine = "mysql", host = "127.0.0.1", port = db.Port, username = user, password, masterarn = masterArn });
        return (sm.CreateSecret(user, json), user, password, schema);
    }

    private async Task RootExecAsync(string sql)
    {
        await using var conn = new MySqlConnection(db.RootConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task ExecAsync(string user, string password, string? schema, string sql)
    {
        await using var conn = new MySqlConnection(db.TcpConnectionString(user, password, schema));
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string user, string password, string? schema, string sql)
    {
        await using var conn = new MySqlConnection(db.TcpConnectionString(user, password, schema));
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    private async Task AssertLoginRefusedAsync(string user, string password)
    {
        var e = await Assert.ThrowsAsync<MySqlException>(() => ScalarAsync(user, password, null, "SELECT 1"));
        Assert.Equal(MySqlErrorCode.AccessDenied, e.ErrorCode);
    }
}
