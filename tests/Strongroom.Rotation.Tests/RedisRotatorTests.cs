using Strongroom.Storage.Tests;
using System.Text.Json;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>The Redis ACL rotators against a real throw-away redis-server, one step at a time.</summary>
[Collection("redis")]
public sealed class RedisRotatorTests(RedisServer redis)
{
    private readonly InMemorySecretsManager sm = new();

    [Fact]
    public async Task SingleUser_OldPasswordWorksUntilFinishSecret_ThenIsRefused()
    {
        (string arn, string user, string oldPassword) = SingleUserSecret(withMaster: true);
        var r = RotationHarness.Rotator("redis-single-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        string newPassword = RotationHarness.Creds(await PendingAsync(arn, token)).Password;
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.TestSecret);

        Assert.Equal("+PONG", redis.Auth(user, oldPassword));
        Assert.Equal("+PONG", redis.Auth(user, newPassword));

        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.FinishSecret);
        sm.CompleteRotation(arn);
        Assert.Equal("+PONG", redis.Auth(user, newPassword));
        Assert.StartsWith("-WRONGPASS", redis.Auth(user, oldPassword), StringComparison.Ordinal);
        Assert.Equal((user, newPassword), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")));
        Assert.Equal((user, oldPassword), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")));
        Assert.Equal(RedisAclHash(newPassword), PasswordHashes(user).Single());
    }

    [Fact]
    public async Task SingleUser_SelfManaged_EveryStepRunTwice_IsIdempotent()
    {
        (string arn, string user, string oldPassword) = SingleUserSecret(withMaster: false);
        await RotationHarness.RotateAsync(RotationHarness.Rotator("redis-single-user"), sm, arn, twice: true);
        string password = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password;
        Assert.Equal("+PONG", redis.Auth(user, password));
        Assert.StartsWith("-WRONGPASS", redis.Auth(user, oldPassword), StringComparison.Ordinal);
        Assert.Single(PasswordHashes(user));
    }

    [Fact]
    public async Task SingleUser_RedisDownAtFinishSecret_FinishRunAgainRemovesTheOldPassword()
    {
        (string arn, string user, string oldPassword) = SingleUserSecret(withMaster: true);
        var r = RotationHarness.Rotator("redis-single-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.TestSecret);
        string newPassword = RotationHarness.Creds(await PendingAsync(arn, token)).Password;

        redis.Stop();
        try
        {
            var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.FinishSecret));
            Assert.StartsWith("finishSecret: Unable to log into Redis using credentials in master secret", e.Message, StringComparison.Ordinal);
            RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, redis.MasterPassword]);
        }
        finally
        {
            redis.Start();
        }

        // AWSCURRENT moved before the removal failed; both passwords were saved by setSecret and still work.
        Assert.Equal(newPassword, RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password);
        Assert.Equal("+PONG", redis.Auth(user, oldPassword));
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.FinishSecret);
        Assert.StartsWith("-WRONGPASS", redis.Auth(user, oldPassword), StringComparison.Ordinal);
        Assert.Equal("+PONG", redis.Auth(user, newPassword));
    }

    [Fact]
    public async Task SingleUser_RedisDownAtSetSecret_FailsWithoutSecrets_AndChangesNothing()
    {
        (string arn, string user, string oldPassword) = SingleUserSecret(withMaster: false);
        var r = RotationHarness.Rotator("redis-single-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        redis.Stop();
        try
        {
            var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
            Assert.StartsWith($"setSecret: could not log in to Redis at 127.0.0.1:{redis.Port} as user {user}", e.Message, StringComparison.Ordinal);
            RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, redis.MasterPassword]);
        }
        finally
        {
            redis.Start();
        }

        Assert.Equal(oldPassword, RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT")).Password);
        Assert.Equal([RedisAclHash(oldPassword)], PasswordHashes(user));
    }

    [Fact]
    public async Task SingleUser_AnotherUserInPending_IsRefused()
    {
        (string arn, _, _) = SingleUserSecret(withMaster: true);
        string token = sm.StartRotation(arn);
        JsonElement current = await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT");
        string other = current.GetRawText().Replace(current.GetProperty("username").GetString()!, "default", StringComparison.Ordinal);
        await sm.PutSecretValueAsync(arn, token, other, ["AWSPENDING"], CancellationToken.None);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("redis-single-user"), sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains("Attempting to modify user default other than current user", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultiUser_TwoRotations_CloneGetsTheRules_PreviousKeepsWorking()
    {
        string user = RotationHarness.Unique("ru");
        string first = Proc.RandomPassword();
        CreateUser(user, "on", ">" + first, "~app:*", "+@read", "+@write", "+ping", "(~log:* +get)");
        string master = sm.CreateSecret("master", Json("default", redis.MasterPassword, null));
        string arn = sm.CreateSecret("multi", Json(user, first, master));
        var r = RotationHarness.Rotator("redis-multi-user");

        await RotationHarness.RotateAsync(r, sm, arn);
        (string cloneUser, string second) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user + "_clone", cloneUser);
        Assert.Equal("+PONG", redis.Auth(cloneUser, second));
        Assert.Equal("+PONG", redis.Auth(user, first));
        Assert.Equal(Rules(user), Rules(cloneUser));
        Assert.Contains("(~log:* resetchannels -@all +get)", Rules(cloneUser), StringComparison.Ordinal);

        await RotationHarness.RotateAsync(r, sm, arn, twice: true);
        (string back, string third) = RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSCURRENT"));
        Assert.Equal(user, back);
        Assert.Equal("+PONG", redis.Auth(user, third));
        Assert.Equal("+PONG", redis.Auth(cloneUser, second));
        Assert.StartsWith("-WRONGPASS", redis.Auth(user, first), StringComparison.Ordinal);
        Assert.Equal((cloneUser, second), RotationHarness.Creds(await RotationHarness.ValueAsync(sm, arn, "AWSPREVIOUS")));
    }

    [Fact]
    public async Task MultiUser_CurrentCredentialsNotWorking_RefusesToUseTheAdmin()
    {
        string user = RotationHarness.Unique("ru");
        CreateUser(user, "on", ">" + Proc.RandomPassword(), "~*", "+@all");
        string master = sm.CreateSecret("master", Json("default", redis.MasterPassword, null));
        string arn = sm.CreateSecret("multi", Json(user, "not-the-password", master));
        var r = RotationHarness.Rotator("redis-multi-user");
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.SetSecret));
        Assert.Contains("with the AWSCURRENT password", e.Message, StringComparison.Ordinal);
        Assert.Contains("RedisConnectionException (AuthenticationFailure)", e.Message, StringComparison.Ordinal);
        RotationHarness.AssertNoSecret(e, [.. sm.KnownPasswords, redis.MasterPassword, "not-the-password"]);
        Assert.StartsWith("-WRONGPASS", redis.Auth(user + "_clone", RotationHarness.Creds(await PendingAsync(arn, token)).Password), StringComparison.Ordinal);
    }

    /// <summary>ACL SETUSER, then ACL SAVE so that the user outlives a restart of the server.</summary>
    private void CreateUser(params string[] rules)
    {
        Assert.Equal("+OK", redis.Admin(["ACL", "SETUSER", .. rules]));
        Assert.Equal("+OK", redis.Admin("ACL", "SAVE"));
    }

    private (string Arn, string User, string Password) SingleUserSecret(bool withMaster)
    {
        string user = RotationHarness.Unique("ru");
        string password = Proc.RandomPassword();
        CreateUser(user, "on", ">" + password, "~*", "&*", "+@all");
        string? master = withMaster ? sm.CreateSecret("master-" + user, Json("default", redis.MasterPassword, null)) : null;
        return (sm.CreateSecret("single-" + user, Json(user, password, master)), user, password);
    }

    private string Json(string user, string password, string? masterArn)
    {
        var value = new Dictionary<string, object> { ["engine"] = "redis", ["host"] = "127.0.0.1", ["port"] = redis.Port, ["username"] = user, ["password"] = password };
        if (masterArn is not null)
        {
            value["masterarn"] = masterArn;
        }

        return JsonSerializer.Serialize(value);
    }

    private async Task<JsonElement> PendingAsync(string arn, string token)
    {
        SecretValueResult v = await sm.GetSecretValueAsync(arn, token, "AWSPENDING", CancellationToken.None);
        using var doc = JsonDocument.Parse(v.SecretString!);
        return doc.RootElement.Clone();
    }

    /// <summary>The user's ACL LIST line without the user name and its password hashes.</summary>
    private string Rules(string user)
    {
        string line = redis.Admin("ACL", "LIST").Split('\n').Single(l => l.StartsWith($"user {user} ", StringComparison.Ordinal));
        return string.Join(' ', line.Split(' ').Skip(2).Where(t => !t.StartsWith('#')));
    }

    private string[] PasswordHashes(string user)
    {
        string line = redis.Admin("ACL", "LIST").Split('\n').Single(l => l.StartsWith($"user {user} ", StringComparison.Ordinal));
        return [.. line.Split(' ').Where(t => t.StartsWith('#')).Select(t => t[1..])];
    }

    private static string RedisAclHash(string password) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(password)));
}
