using BenchmarkDotNet.Attributes;
using Strongroom.Core;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;

namespace Strongroom.Bench.Micro;

/// <summary>
/// A non-admin GetSecretValue as the server runs it after SigV4: Core's access decision (CallAuthorization: the
/// checks for secretsmanager:GetSecretValue and kms:Decrypt, decided against an IAM user's inline policy and the AWS
/// managed key's policy), then SecretReads.GetSecretValueAsync — once reusing the decision's SecretResolution (one
/// secret and one version lookup per call, #17), once without it (the operation looks both up again, as before #17).
/// In-process over a temp database of 1,000 secrets; each call reads the next secret in turn.
/// </summary>
[MemoryDiagnoser]
public class AccessDecisionBenchmarks
{
    private InProcessFixture _fixture = null!;
    private CallAuthorization _decision = null!;
    private AccessCaller _caller = null!;
    private Input[] _inputs = null!;
    private AccessCheck[] _check = null!;
    private readonly AccessRequestContext _request = new("127.0.0.1", false);
    private int _next;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _fixture = await InProcessFixture.CreateAsync();
        var identity = new ServerIdentity("111122223333", InProcessFixture.Region);
        var iam = new IamService(_fixture.Store, new RootWrap(_fixture.Root), identity, TimeProvider.System);
        var user = await iam.Users.CreateUserAsync("bench-reader", null, null, CancellationToken.None);
        const string policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:*:secret:bench/read/*"}]}""";
        await iam.Attachments.PutInlinePolicyAsync(IamEntityKind.User, user.Name, "read", policy, CancellationToken.None);
        _decision = new CallAuthorization(iam, _fixture.Store, _fixture.Keys, identity, TimeProvider.System, new AccessChecks(_fixture.Store, _fixture.Keys, identity));
        _caller = new AccessCaller(PrincipalKind.User, "AKIABENCHREADER", user.Arn, user.Name, InProcessFixture.Region, user.UserId);
        _inputs = [.. Enumerable.Range(0, InProcessFixture.Count).Select(i => new Input(InProcessFixture.Name(i)))];
        var secret = await new AccessChecks(_fixture.Store, _fixture.Keys, identity).SecretAsync(InProcessFixture.Region, InProcessFixture.Name(0), CancellationToken.None);
        _check = [new AccessCheck("secretsmanager:GetSecretValue", secret.Arn, null, false, secret.Keys)];
        if (await _decision.Evaluator.DecideAsync(_caller, _check, _request, CancellationToken.None) is { } refused)
        {
            throw new InvalidOperationException("the bench reader is denied: " + refused.Message);
        }
        if ((await DecideAsync(_inputs[0])).Denial is { } denial)
        {
            throw new InvalidOperationException("the bench reader is denied: " + denial.Message);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private Task<CallAccess> DecideAsync(Input input) =>
        _decision.DecideAsync(_caller, "secretsmanager", "GetSecretValue", input, null, new AccessRequestContext("127.0.0.1", false), CancellationToken.None);

    [Benchmark(Baseline = true)]
    public async Task<int> DecideThenReadLookingUpAgain()
    {
        var input = _inputs[_next++ % _inputs.Length];
        var access = await DecideAsync(input);
        using var result = await _fixture.Service.Reads.GetSecretValueAsync(InProcessFixture.Region, input.SecretId, null, null, CancellationToken.None);
        return result.Value.Text!.Length + (access.Denial is null ? 0 : 1);
    }

    [Benchmark]
    public async Task<int> DecideThenReadTheResolvedSecret()
    {
        var input = _inputs[_next++ % _inputs.Length];
        var access = await DecideAsync(input);
        using var result = await _fixture.Service.Reads.GetSecretValueAsync(InProcessFixture.Region, input.SecretId, null, null, CancellationToken.None, access.Secret);
        return result.Value.Text!.Length + (access.Denial is null ? 0 : 1);
    }

    /// <summary>
    /// The evaluation alone (AccessEvaluator.DecideAsync on one allowed secretsmanager:GetSecretValue check, the user's
    /// compiled policies cached): what ADR 0038's trace must not slow when none is passed.
    /// </summary>
    [Benchmark]
    public async Task<bool> EvaluateOneAllowedCheck() => await _decision.Evaluator.DecideAsync(_caller, _check, _request, CancellationToken.None) is null;

    /// <summary>A GetSecretValue input naming one secret.</summary>
    private sealed class Input(string secretId) : IAccessInput
    {
        public string SecretId { get; } = secretId;

        public string? String(string member) => member == "SecretId" ? SecretId : null;

        public bool IsTrue(string member) => false;

        public bool IsPresent(string member) => member == "SecretId";

        public IReadOnlyList<string>? Strings(string member) => null;

        public IReadOnlyList<KeyValuePair<string, string>>? Tags(string member) => null;

        public IReadOnlyList<KeyValuePair<string, string>>? Map(string member) => null;
    }
}
