using Strongroom.Rotation.Builtin;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>The step dispatcher and createSecret/finishSecret, which need no database.</summary>
public sealed class DispatcherTests
{
    private const string Secret = """{"engine":"postgres","host":"127.0.0.1","port":"5432","username":"app","password":"OldPw-1$;","dbname":"appdb","extra":"kept"}""";

    [Fact]
    public void BuiltinRotators_HasTheSixKinds()
    {
        Assert.Equal(["mysql-multi-user", "mysql-single-user", "postgresql-multi-user", "postgresql-single-user", "redis-multi-user", "redis-single-user"], BuiltinRotators.ByKind.Keys.Order(StringComparer.Ordinal));
        foreach ((string kind, IBuiltinRotator r) in BuiltinRotators.ByKind)
        {
            Assert.Equal(kind, r.Kind);
            Assert.Same(r, BuiltinRotators.Find(kind));
        }

        Assert.Null(BuiltinRotators.Find("oracle"));
    }

    [Fact]
    public async Task AnyStep_RotationDisabled_Fails()
    {
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", Secret, rotationEnabled: false);
        string token = sm.StartRotation(arn);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn, token, RotationEvent.CreateSecret));
        Assert.Contains("not enabled for rotation", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyStep_UnknownToken_Fails()
    {
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", Secret);
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("mysql-single-user"), sm, arn, "no-such-token", RotationEvent.SetSecret));
        Assert.Contains("has no stage", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyStep_TokenWithoutPending_Fails()
    {
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", Secret);
        string token = sm.StartRotation(arn);
        sm.StartRotation(arn); // AWSPENDING moves to a newer version: the first token keeps no stage at all
        var e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn, token, RotationEvent.CreateSecret));
        Assert.Contains("has no stage", e.Message, StringComparison.Ordinal);

        // A version that holds only AWSPREVIOUS is not AWSPENDING.
        await sm.UpdateSecretVersionStageAsync(arn, "AWSPREVIOUS", token, null, CancellationToken.None);
        e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn, token, RotationEvent.CreateSecret));
        Assert.Contains("not set as AWSPENDING", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyStep_TokenAlreadyCurrent_IsNoOp()
    {
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", Secret);
        string current = (await sm.DescribeSecretAsync(arn, CancellationToken.None)).VersionIdsToStages.Single().Key;
        foreach (string step in RotationEvent.Steps)
        {
            // No database exists: any step that did work would fail.
            await RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-multi-user"), sm, arn, current, step);
        }
    }

    [Theory]
    [InlineData("postgresql-single-user", "app")]
    [InlineData("mysql-single-user", "app")]
    [InlineData("postgresql-multi-user", "app_clone")]
    [InlineData("mysql-multi-user", "app_clone")]
    [InlineData("redis-multi-user", "app_clone")] // redis-single-user's finishSecret also removes the old password: RedisRotatorTests
    public async Task CreateSecret_PutsPendingOnce_AndFinishMovesLabels(string kind, string expectedUser)
    {
        string secret = kind.StartsWith("mysql", StringComparison.Ordinal) ? Secret.Replace("postgres", "mysql", StringComparison.Ordinal)
            : kind.StartsWith("redis", StringComparison.Ordinal) ? Secret.Replace("postgres", "redis", StringComparison.Ordinal)
            : Secret;
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", secret);
        string oldVersion = (await sm.DescribeSecretAsync(arn, CancellationToken.None)).VersionIdsToStages.Single().Key;
        string token = sm.StartRotation(arn);
        IBuiltinRotator r = RotationHarness.Rotator(kind);

        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        SecretValueResult pending = await sm.GetSecretValueAsync(arn, token, "AWSPENDING", CancellationToken.None);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.CreateSecret);
        Assert.Equal(pending.SecretString, (await sm.GetSecretValueAsync(arn, token, "AWSPENDING", CancellationToken.None)).SecretString);

        System.Text.Json.JsonElement p = System.Text.Json.JsonDocument.Parse(pending.SecretString!).RootElement;
        Assert.Equal(expectedUser, p.GetProperty("username").GetString());
        Assert.NotEqual("OldPw-1$;", p.GetProperty("password").GetString());
        Assert.Equal("kept", p.GetProperty("extra").GetString());
        Assert.Equal("5432", p.GetProperty("port").GetString());
        foreach (char c in ":/@\"'\\")
        {
            Assert.DoesNotContain(c, p.GetProperty("password").GetString()!);
        }

        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.FinishSecret);
        await RotationHarness.StepAsync(r, sm, arn, token, RotationEvent.FinishSecret);
        var stages = (await sm.DescribeSecretAsync(arn, CancellationToken.None)).VersionIdsToStages;
        Assert.Contains("AWSCURRENT", stages[token]);
        Assert.Equal(["AWSPREVIOUS"], stages[oldVersion]);
    }

    [Fact]
    public async Task MultiUser_CloneOfClone_StripsSuffix()
    {
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", Secret.Replace("\"app\"", "\"app_clone\"", StringComparison.Ordinal));
        string token = sm.StartRotation(arn);
        await RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-multi-user"), sm, arn, token, RotationEvent.CreateSecret);
        System.Text.Json.JsonElement p = System.Text.Json.JsonDocument.Parse((await sm.GetSecretValueAsync(arn, token, "AWSPENDING", CancellationToken.None)).SecretString!).RootElement;
        Assert.Equal("app", p.GetProperty("username").GetString());
    }

    [Theory]
    [InlineData("not json at all OldPw-1$;")]
    [InlineData("""{"engine":"mysql","host":"h","username":"u","password":"OldPw-1$;"}""")]
    [InlineData("""{"engine":"postgres","host":"h","username":"u"}""")]
    [InlineData("""{"engine":"postgres","host":"h","username":"u","password":"OldPw-1$;","port":"x1"}""")]
    public async Task CreateSecret_BadCurrentSecret_FailsWithoutTheValue(string secretString)
    {
        var sm = new InMemorySecretsManager();
        string arn = sm.CreateSecret("s", secretString);
        string token = sm.StartRotation(arn);
        RotationStepException e = await Assert.ThrowsAsync<RotationStepException>(() => RotationHarness.StepAsync(RotationHarness.Rotator("postgresql-single-user"), sm, arn, token, RotationEvent.CreateSecret));
        RotationHarness.AssertNoSecret(e, ["OldPw-1$;", .. sm.KnownPasswords]);
    }
}
