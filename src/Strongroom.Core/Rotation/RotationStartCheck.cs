using Strongroom.Core.Errors;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Rotation;

/// <summary>
/// The checks RotateSecret makes before it changes anything (see <see cref="IRotationStarter.CheckStartAsync"/>), in
/// AWS's wording: an unknown function answers AccessDeniedException as AWS does when Lambda refuses the invocation;
/// a run still going answers InvalidRequestException as for an unfinished AWSPENDING. Thread-safe.
/// </summary>
public sealed class RotationStartCheck
{
    /// <summary>AWS's text when Secrets Manager cannot invoke the rotation function.</summary>
    public const string CannotInvokeMessage =
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.";

    /// <summary>AWS's text when a previous rotation of the secret has not finished.</summary>
    public const string NotCompleteMessage = "A previous rotation isn't complete. That rotation will be reattempted.";

    private readonly IRotationRunStore _store;
    private readonly IRotationFunctions _functions;

    public RotationStartCheck(IRotationRunStore store, IRotationFunctions functions)
    {
        _store = store;
        _functions = functions;
    }

    /// <summary>See <see cref="IRotationStarter.CheckStartAsync"/>.</summary>
    public async Task CheckAsync(string region, string secretArn, string functionArn, string? versionId, bool rotateNow, CancellationToken ct)
    {
        if (await _functions.ResolveAsync(region, functionArn, ct) is null)
        {
            throw new DomainException(ErrorKind.AccessDenied, CannotInvokeMessage);
        }

        foreach (var run in await _store.FindRunningRotationRunsAsync(ct))
        {
            // A test run (RotateImmediately=false) going does not stop another configuration change; it stops a rotation.
            if (string.Equals(run.SecretArn, secretArn, StringComparison.Ordinal) && (rotateNow || run.Trigger != RotationTrigger.Test)
                && (versionId is null || !string.Equals(run.VersionId, versionId, StringComparison.Ordinal)))
            {
                throw DomainException.InvalidRequest(NotCompleteMessage);
            }
        }
    }
}
