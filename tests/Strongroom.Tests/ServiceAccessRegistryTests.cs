using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Strongroom.Core;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Policies;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Iam;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// #17, "services are registered once": every service the protocol layer answers (each <see cref="IJsonService"/>, and
/// IAM/STS of the Query protocol) has exactly one access registration in Core (<see cref="IServiceAccess"/>, held by
/// <see cref="CallAuthorization"/> by signing name), each decides with its own builder, a service without one gets the
/// fallback SERVICE:Operation on "*", and the denial's error is the protocol registration's. A dropped or duplicated
/// registration fails here.
/// </summary>
public sealed class ServiceAccessRegistryTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private static readonly AccessCaller Nobody = new(PrincipalKind.User, "AKIANOBODY", "arn:aws:iam::111122223333:user/nobody", "nobody", ServiceFixture.Region, "AIDANOBODY");
    private ServiceFixture _fx = null!;
    private KeyRing _keys = null!;
    private CallAuthorization _calls = null!;

    public async Task InitializeAsync()
    {
        _fx = await ServiceFixture.CreateAsync();
        var identity = new ServerIdentity(Account, ServiceFixture.Region);
        _keys = new KeyRing(_fx.Store, new RootWrap(_fx.Root), identity, _fx.Time);
        var iam = new IamService(_fx.Store, new RootWrap(_fx.Root), identity, _fx.Time);
        _calls = new CallAuthorization(iam, _fx.Store, _keys, identity, _fx.Time, new AccessChecks(_fx.Store, _keys, identity));
    }

    public async Task DisposeAsync()
    {
        _keys.Dispose();
        await _fx.DisposeAsync();
    }

    /// <summary>
    /// The signing names the protocol layer answers: every concrete <see cref="IJsonService"/> in the protocol and host
    /// assemblies (read from an uninitialised instance: the name is a constant of the type), and the Query protocol's.
    /// </summary>
    private static List<string> ProtocolServices()
    {
        var jsonTypes = new[] { typeof(IJsonService).Assembly, typeof(Strongroom.Server.ApiEndpoint).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => typeof(IJsonService).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .ToList();
        Assert.True(jsonTypes.Count >= 5, "the awsJson services were not found: " + string.Join(", ", jsonTypes));
        return jsonTypes.Select(t => ((IJsonService)RuntimeHelpers.GetUninitializedObject(t)).SigningName).Concat(IamApi.SigningNames).ToList();
    }

    [Fact]
    public void EveryProtocolService_HasExactlyOneAccessRegistration_AndNoRegistrationIsOrphaned()
    {
        var protocol = ProtocolServices();
        Assert.Equal(protocol.Count, protocol.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(protocol.Order(StringComparer.Ordinal), _calls.Services.Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, Type> Registrations() => new()
    {
        { "secretsmanager", typeof(SecretAccess) },
        { "kms", typeof(KeyAccess) },
        { "ssm", typeof(ParameterAccess) },
        { "iam", typeof(IamServiceAccess) },
        { "sts", typeof(StsAccess) },
        { "strongroom", typeof(RotationAccess) },
        { "cloudtrail", typeof(CloudTrailAccess) },
    };

    [Theory]
    [MemberData(nameof(Registrations))]
    public void Service_IsDecidedByItsOwnBuilder(string service, Type builder)
    {
        var access = _calls.For(service);
        Assert.IsType(builder, access);
        Assert.Equal(service, access.SigningName);
    }

    [Fact]
    public async Task UnregisteredService_GetsTheFallbackCheck_ActionOnAnyResource()
    {
        var access = _calls.For("example");
        Assert.IsType<ActionOnlyAccess>(access);
        var checks = await access.ChecksAsync(new ServiceCall(Nobody, "DoThing", IAccessInput.Empty, new IamAccess.Parameters(_ => null, [], []), null), CancellationToken.None);
        var check = Assert.Single(checks);
        Assert.Equal("example:DoThing", check.Action);
        Assert.Equal("*", check.Resource);

        var decision = await DecideAsync("example", "DoThing");
        Assert.Equal("example:DoThing", decision.Denial?.Action);
        Assert.Equal("*", decision.Denial?.Resource);
    }

    [Fact]
    public async Task KmsCall_IsCheckedOnTheKey_NotOnAnyResource()
    {
        // What a dropped KMS registration would turn into: kms:DescribeKey on "*" instead of on the key's ARN.
        var decision = await DecideAsync("kms", "DescribeKey", ("KeyId", "alias/aws/secretsmanager"));
        Assert.Equal("kms:DescribeKey", decision.Denial?.Action);
        Assert.NotEqual("*", decision.Denial?.Resource);
    }

    [Fact]
    public async Task StsGetCallerIdentity_NeedsNoPermission_ThroughTheStsRegistrationOnly()
    {
        Assert.Null((await DecideAsync("sts", "GetCallerIdentity")).Denial);
        // The same operation name under a service without that registration is not waved through.
        Assert.NotNull((await DecideAsync("example", "GetCallerIdentity")).Denial);
    }

    [Fact]
    public async Task SecretsManagerCall_ResolvesItsSecretOnce_OtherServicesNone()
    {
        var secretsCall = await DecideAsync("secretsmanager", "GetSecretValue", ("SecretId", "app/db"));
        Assert.NotNull(secretsCall.Secret);
        var ssmCall = await DecideAsync("ssm", "GetParameter", ("SecretId", "app/db"), ("Name", "app/db"));
        Assert.Null(ssmCall.Secret);
    }

    [Fact]
    public void Denial_IsTheProtocolRegistrations_Error()
    {
        var json = (IJsonService)RuntimeHelpers.GetUninitializedObject(typeof(Strongroom.Protocol.Aws.Kms.KmsApi));
        var jsonDenial = json.AccessDenied("no");
        Assert.Equal(("AccessDeniedException", 400, "no"), (jsonDenial.Code, jsonDenial.Status, jsonDenial.Message));
        var queryDenial = IamApi.AccessDenied("no");
        Assert.Equal(("AccessDenied", 403, "no"), (queryDenial.Code, queryDenial.Status, queryDenial.Message));
    }

    /// <summary>
    /// The parallel switches stay gone: the decision names no service (it looks its registration up), and the host's
    /// authorizer builds no denial of its own (the protocol registration's error is thrown).
    /// </summary>
    [Fact]
    public void Decision_And_Authorizer_HaveNoPerServiceSwitch()
    {
        var root = ArchitectureTests.RepoRoot;
        var decision = File.ReadAllText(Path.Combine(root, "src", "Strongroom.Core", "Policies", "CallAuthorization.cs"));
        var literals = Regex.Matches(decision, "\"([a-z]+)\"").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(literals.Intersect(ProtocolServices()));
        var authorizer = File.ReadAllText(Path.Combine(root, "src", "Strongroom.Server", "Authorizer.cs"));
        Assert.DoesNotContain("\"AccessDenied", authorizer, StringComparison.Ordinal);
        Assert.DoesNotContain("\"sts\"", authorizer, StringComparison.Ordinal);
    }

    private Task<CallAccess> DecideAsync(string service, string operation, params (string Member, string Value)[] members) =>
        _calls.DecideAsync(Nobody, service, operation, new StringMembersInput(members), null, new AccessRequestContext("127.0.0.1", true), CancellationToken.None);
}
