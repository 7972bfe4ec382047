using Strongroom.Core.Policies;

namespace Strongroom.Core.Rotation;

/// <summary>
/// What a call of Strongroom's own admin API (strongroom:Operation) asks permission for: a rotation-function call names
/// its function's ARN (so policies can scope to functions), and attaching a role to one needs iam:PassRole on the role
/// (as Lambda's CreateFunction does). ListRotationRuns and ListRotationStatus are authorised per secret: on the secret
/// SecretId names, or — without one — run by run as the answer is built. WatchSecrets has no front-door check: each
/// secret needs secretsmanager:DescribeSecret, decided in <see cref="Secrets.SecretWatch"/>. Thread-safe.
/// </summary>
public sealed class RotationAccess : IServiceAccess
{
    /// <summary>The admin API's operation that streams secret changes (Protocol.Aws.Strongroom.WatchSecretsApi.Operation is this).</summary>
    public const string WatchSecrets = "WatchSecrets";

    private readonly AccessChecks _checks;
    private readonly ServerIdentity _identity;

    public RotationAccess(AccessChecks checks, ServerIdentity identity)
    {
        _checks = checks;
        _identity = identity;
    }

    /// <inheritdoc/>
    public string SigningName => "strongroom";

    /// <inheritdoc/>
    Task<IReadOnlyList<AccessCheck>> IServiceAccess.ChecksAsync(ServiceCall call, CancellationToken ct) => ChecksAsync(call.Caller.Region, call.Operation, call.Input, ct);

    /// <summary>The checks of <paramref name="operation"/>, in order; every one must allow (none: decided as the call runs).</summary>
    public async Task<IReadOnlyList<AccessCheck>> ChecksAsync(string region, string operation, IAccessInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = "strongroom:" + operation;
        if (operation == WatchSecrets)
        {
            return [];
        }

        if (operation is "ListRotationRuns" or "ListRotationStatus")
        {
            return input.String("SecretId") is { } secretId ? [await _checks.SecretActionAsync(region, action, secretId, ct)] : [];
        }

        if (!operation.EndsWith("RotationFunction", StringComparison.Ordinal) || input.String("Name") is not { } functionName)
        {
            return [new AccessCheck(action, "*", null, false, NoKeys())];
        }

        var functionArn = RotationFunction.ArnOf(region, _identity.AccountId, functionName);
        var checks = new List<AccessCheck> { new(action, functionArn, null, false, NoKeys()) };
        if (operation is "CreateRotationFunction" or "UpdateRotationFunction" && input.String("RoleArn") is { Length: > 0 } roleArn)
        {
            checks.Add(new AccessCheck("iam:PassRole", roleArn, null, false, new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
            {
                ["iam:PassedToService"] = ["lambda.amazonaws.com"],
                ["iam:AssociatedResourceArn"] = [functionArn],
            }));
        }

        return checks;
    }

    private static Dictionary<string, IReadOnlyList<string>> NoKeys() => new(StringComparer.OrdinalIgnoreCase);
}
