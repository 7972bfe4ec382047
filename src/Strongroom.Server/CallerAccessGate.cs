using Strongroom.Core.Kms;
using Strongroom.Core.Policies;
using Strongroom.Protocol.Aws.Auth;

namespace Strongroom.Server;

/// <summary>
/// One non-admin caller's <see cref="ICallerAccess"/> for one request: the checks come from <see cref="AccessChecks"/>
/// (the builders the direct calls use) and are decided by the <see cref="Authorizer"/> with the request's own context —
/// its source IP, whether it came over TLS, the caller's principal tags. Thread-safe.
/// </summary>
internal sealed class CallerAccessGate : ICallerAccess
{
    private readonly Authorizer _authorizer;
    private readonly AccessChecks _checks;
    private readonly CallerIdentity _caller;
    private readonly string? _sourceIp;
    private readonly bool _secure;

    public CallerAccessGate(Authorizer authorizer, AccessChecks checks, CallerIdentity caller, string? sourceIp, bool secure)
    {
        _authorizer = authorizer;
        _checks = checks;
        _caller = caller;
        _sourceIp = sourceIp;
        _secure = secure;
    }

    public async Task<string?> SecretReadDeniedAsync(string region, string secretId, string? versionId, string? versionStage, CancellationToken ct) =>
        await _authorizer.DeniedAsync(_caller, await _checks.ReadSecretAsync(region, secretId, versionId, versionStage, ct), _sourceIp, _secure, ct);

    public Task<string?> KeyUseDeniedAsync(KmsKeyRecord key, string action, string viaService, IReadOnlyDictionary<string, string> encryptionContext, CancellationToken ct) =>
        _authorizer.DeniedAsync(_caller, [_checks.KeyUse(key, action, viaService, encryptionContext)], _sourceIp, _secure, ct);

    public async Task<string?> SecretActionDeniedAsync(string region, string action, string secretId, CancellationToken ct) =>
        await _authorizer.DeniedAsync(_caller, [await _checks.SecretActionAsync(region, action, secretId, ct)], _sourceIp, _secure, ct);

    public Task<bool> MayStillChangeKeyPolicyAsync(string keyArn, string policy, CancellationToken ct) =>
        _authorizer.CanChangeKeyPolicyAsync(_caller, keyArn, policy, _sourceIp, _secure, ct);
}
