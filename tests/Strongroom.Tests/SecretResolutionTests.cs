using System.Reflection;
using Strongroom.Core;
using Strongroom.Core.Errors;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// #17, "the secret is resolved once per call": Core's access decision (<see cref="CallAuthorization"/>) resolves a
/// GetSecretValue's SecretId — name, full ARN or partial ARN — and the version it reads, and the use case then opens
/// that record instead of asking the store again; a resolution of another SecretId is never reused. Counted on a
/// store that forwards to a real SQLite store.
/// </summary>
public sealed class SecretResolutionTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private const string Reader = "arn:aws:iam::111122223333:user/reader";
    private ServiceFixture _fx = null!;
    private IStore _counted = null!;
    private CountingStore _counts = null!;
    private SecretsService _secrets = null!;
    private CallAuthorization _decision = null!;
    private KeyRing _keys = null!;

    public async Task InitializeAsync()
    {
        _fx = await ServiceFixture.CreateAsync();
        (_counted, _counts) = CountingStore.Over(_fx.Store);
        var identity = new ServerIdentity(Account, ServiceFixture.Region);
        var keys = _keys = new KeyRing(_counted, new RootWrap(_fx.Root), identity, _fx.Time);
        _secrets = new SecretsService(_counted, keys, identity, _fx.Time);
        var iam = new IamService(_counted, new RootWrap(_fx.Root), identity, _fx.Time);
        _decision = new CallAuthorization(iam, _counted, keys, identity, _fx.Time, new AccessChecks(_counted, keys, identity));
    }

    public async Task DisposeAsync()
    {
        _keys.Dispose();
        await _fx.DisposeAsync();
    }

    /// <summary>A secret the reader may read through its resource policy alone (no identity policy needed).</summary>
    private async Task<SecretRecord> ReadableSecretAsync(string name, string value)
    {
        await _fx.CreateAsync(name, value);
        var policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"{{Reader}}"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}""";
        return await _secrets.Policies.PutResourcePolicyAsync(ServiceFixture.Region, name, policy, false, CancellationToken.None);
    }

    private Task<CallAccess> DecideAsync(string operation, IAccessInput input) =>
        _decision.DecideAsync(new AccessCaller(PrincipalKind.User, "AKIAREADER", Reader, "reader", ServiceFixture.Region, "AIDAREADER"), "secretsmanager", operation, input, null, new AccessRequestContext("127.0.0.1", true), CancellationToken.None);

    /// <summary>The SecretId's form, and the store queries one resolution of it takes (a partial ARN: the exact ARN, then the prefix).</summary>
    public static TheoryData<string, int> SecretIds() => new() { { "name", 1 }, { "arn", 1 }, { "partial", 2 } };

    [Theory]
    [MemberData(nameof(SecretIds))]
    public async Task GetSecretValue_LooksTheSecretAndItsVersionUpOnce_ForTheDecisionAndTheRead(string form, int queries)
    {
        var secret = await ReadableSecretAsync("app/db-" + form, "s3cr3t-" + form);
        var secretId = form switch { "name" => secret.Name, "arn" => secret.Arn, _ => secret.Arn[..^7] };
        _counts.Reset();

        var access = await DecideAsync("GetSecretValue", new StringMembersInput(("SecretId", secretId)));
        Assert.Null(access.Denial);
        Assert.NotNull(access.Secret);
        using var value = await _secrets.Reads.GetSecretValueAsync(ServiceFixture.Region, secretId, null, null, CancellationToken.None, access.Secret);

        Assert.Equal("s3cr3t-" + form, value.Value.Text);
        Assert.Equal(queries, _counts.SecretLookups);
        Assert.Equal(1, _counts.VersionLookups);
    }

    [Fact]
    public async Task WithoutTheDecisionsResolution_TheReadLooksTheSecretUpItself()
    {
        var secret = await ReadableSecretAsync("app/plain", "plain");
        _counts.Reset();

        await DecideAsync("GetSecretValue", new StringMembersInput(("SecretId", secret.Name)));
        using var value = await _secrets.Reads.GetSecretValueAsync(ServiceFixture.Region, secret.Name, null, null, CancellationToken.None);

        Assert.Equal("plain", value.Value.Text);
        Assert.Equal(2, _counts.SecretLookups); // the count above is not an artefact of the counting store
        Assert.Equal(2, _counts.VersionLookups);
    }

    [Fact]
    public async Task AResolutionOfAnotherSecretId_IsNotReused()
    {
        var allowed = await ReadableSecretAsync("app/allowed", "allowed-value");
        await _fx.CreateAsync("app/other", "other-value");

        // The decision was about app/allowed; an operation handed it with another SecretId reads that one, not app/allowed.
        var access = await DecideAsync("GetSecretValue", new StringMembersInput(("SecretId", allowed.Name)));
        Assert.Null(access.Denial);
        using var value = await _secrets.Reads.GetSecretValueAsync(ServiceFixture.Region, "app/other", null, null, CancellationToken.None, access.Secret);
        Assert.Equal("other-value", value.Value.Text);
    }

    [Fact]
    public async Task AnotherVersionThanTheDecisionLookedUp_IsLookedUpAgain()
    {
        var secret = await ReadableSecretAsync("app/versions", "first");
        var second = await _fx.PutAsync(secret.Name, "second");

        // The decision looked up AWSCURRENT; a read of AWSPREVIOUS through the same resolution must not get it.
        var access = await DecideAsync("GetSecretValue", new StringMembersInput(("SecretId", secret.Name)));
        Assert.Null(access.Denial);
        using var previous = await _secrets.Reads.GetSecretValueAsync(ServiceFixture.Region, secret.Name, null, "AWSPREVIOUS", CancellationToken.None, access.Secret);
        Assert.Equal("first", previous.Value.Text);
        Assert.NotEqual(second.VersionId, previous.Version.VersionId);
    }

    [Fact]
    public async Task AMissingSecret_IsDeniedByItsName_AndTheReadStillAnswersNotFound()
    {
        var access = await DecideAsync("GetSecretValue", new StringMembersInput(("SecretId", "app/missing")));

        // Denied without saying whether it exists: the resource named is what the caller sent.
        Assert.NotNull(access.Denial);
        Assert.Equal($"arn:aws:secretsmanager:{ServiceFixture.Region}:{Account}:secret:app/missing", access.Denial!.Resource);
        var e = await Assert.ThrowsAsync<DomainException>(() => _secrets.Reads.GetSecretValueAsync(ServiceFixture.Region, "app/missing", null, null, CancellationToken.None, access.Secret));
        Assert.Equal(ErrorKind.ResourceNotFound, e.Kind);
    }

    [Fact]
    public async Task DescribeSecret_ReusesTheDecisionsRecord()
    {
        var secret = await ReadableSecretAsync("app/described", "v");
        _counts.Reset();

        var access = await DecideAsync("DescribeSecret", new StringMembersInput(("SecretId", secret.Arn)));
        var view = await _secrets.Reads.DescribeSecretAsync(ServiceFixture.Region, secret.Arn, CancellationToken.None, access.Secret);

        Assert.Equal(secret.Name, view.Secret.Name);
        Assert.Equal(1, _counts.SecretLookups);
    }

    /// <summary>Forwards every call to a real store and counts the secret and version lookups.</summary>
    public class CountingStore : DispatchProxy
    {
        private IStore? _inner;
        private int _secretLookups;
        private int _versionLookups;

        public int SecretLookups => _secretLookups;

        public int VersionLookups => _versionLookups;

        public static (IStore Store, CountingStore Counts) Over(IStore inner)
        {
            var proxy = Create<IStore, CountingStore>();
            var counts = (CountingStore)(object)proxy;
            counts._inner = inner;
            return (proxy, counts);
        }

        public void Reset()
        {
            _secretLookups = 0;
            _versionLookups = 0;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            switch (targetMethod.Name)
            {
                case nameof(IStore.FindSecretByNameAsync) or nameof(IStore.FindSecretByArnAsync) or nameof(IStore.FindSecretsByPartialArnAsync):
                    Interlocked.Increment(ref _secretLookups);
                    break;
                case nameof(IStore.FindVersionByIdAsync) or nameof(IStore.FindVersionByStageAsync):
                    Interlocked.Increment(ref _versionLookups);
                    break;
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}
