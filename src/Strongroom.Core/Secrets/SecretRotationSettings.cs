using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Secrets.StagingLabels;
using Strongroom.Core.Rotation;

namespace Strongroom.Core.Secrets;

/// <summary>
/// Rotation configuration of a secret: RotateSecret, CancelRotateSecret, and the scheduler's begin/postpone
/// steps. The rotation itself runs in the background (<see cref="IRotationStarter"/>).
/// </summary>
public sealed class SecretRotationSettings
{
    private readonly IStore _store;
    private readonly TimeProvider _time;
    private readonly IRotationStarter? _rotations;

    internal SecretRotationSettings(IStore store, TimeProvider time, IRotationStarter? rotations)
    {
        _store = store;
        _time = time;
        _rotations = rotations;
    }

    public async Task<WriteResult> RotateSecretAsync(string region, RotateSecretRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate.SecretId(request.SecretId);
        Validate.Token(request.ClientRequestToken);
        Validate.Length(request.RotationLambdaArn, "rotationLambdaARN", 0, 2048);
        RotationSchedule.ValidateRules(request.RotationRules);
        await CheckRotationStartAsync(region, request, ct);
        string? currentVersionId = null;
        var result = await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, request.SecretId, ct);
            var lambda = string.IsNullOrEmpty(request.RotationLambdaArn) ? secret.RotationLambdaArn : request.RotationLambdaArn;
            if (string.IsNullOrEmpty(lambda))
            {
                throw DomainException.InvalidRequest("No Lambda rotation function ARN is associated with this secret.");
            }

            var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
            var pending = versions.Find(v => v.Stages.Contains(Pending) && !v.Stages.Contains(Current));
            currentVersionId = versions.Find(v => v.Stages.Contains(Current))?.VersionId;
            var rotateNow = request.RotateImmediately ?? true;
            string? versionId = null;
            if (rotateNow)
            {
                versionId = request.ClientRequestToken ?? Guid.NewGuid().ToString();
                if (pending is not null && pending.VersionId != versionId)
                {
                    throw DomainException.InvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
                }

                if (pending is null)
                {
                    if (versions.Any(v => v.VersionId == versionId))
                    {
                        throw new DomainException(ErrorKind.ResourceExists, $"You can't use ClientRequestToken {versionId} because that value is already in use for a version of secret {secret.Arn}.");
                    }

                    var placeholder = new SecretVersionRecord { VersionId = versionId, CreatedDate = _time.NowMillis() };
                    versions.Add(placeholder);
                    ApplyStages(versions, placeholder, [Pending]);
                    await tx.InsertVersionAsync(secret.Id, placeholder, ct);
                    await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
                }
            }

            secret.RotationLambdaArn = lambda;
            if (request.RotationRules is not null)
            {
                secret.RotationRules = request.RotationRules;
            }

            secret.RotationEnabled = true;
            var now = _time.NowMillis();
            secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, secret.LastRotatedDate ?? now);
            if (secret.NextRotationDate < now)
            {
                secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
            }

            secret.LastChangedDate = now;
            await tx.UpdateSecretAsync(secret, ct);
            return new WriteResult(secret, versionId, null);
        }, ct);

        // The rotation itself runs in the background, as AWS runs the Lambda function after answering.
        if (result.VersionId is not null)
        {
            _rotations?.Start(new RotationStartRequest(result.Secret.Region, result.Secret.Arn, result.VersionId, RotationTrigger.RotateSecret, 1));
        }
        else if (currentVersionId is not null)
        {
            _rotations?.Start(new RotationStartRequest(result.Secret.Region, result.Secret.Arn, currentVersionId, RotationTrigger.Test, 1));
        }

        return result;
    }

    /// <summary>Before RotateSecret changes anything: its function must be invocable and no run of the secret still going.</summary>
    private async Task CheckRotationStartAsync(string region, RotateSecretRequest request, CancellationToken ct)
    {
        var secret = _rotations is null ? null : await SecretLookup.FindAsync(_store, region, request.SecretId, ct);
        var lambda = string.IsNullOrEmpty(request.RotationLambdaArn) ? secret?.RotationLambdaArn : request.RotationLambdaArn;
        if (secret is not null && secret.DeletedDate is null && !string.IsNullOrEmpty(lambda))
        {
            await _rotations!.CheckStartAsync(secret.Region, secret.Arn, lambda, request.ClientRequestToken, request.RotateImmediately ?? true, ct);
        }
    }

    /// <summary>
    /// For a scheduled rotation: the AWSPENDING version to rotate in — an unfinished one left by an
    /// earlier rotation, or a new value-less one. Null when the secret no longer rotates.
    /// </summary>
    public async Task<string?> BeginScheduledRotationAsync(string secretArn, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await tx.FindSecretByArnAsync(secretArn, ct);
            if (secret is null || secret.DeletedDate is not null || secret.RotationEnabled != true || secret.IsReplica)
            {
                return null;
            }

            var versions = (await tx.ListVersionsAsync(secret.Id, ct)).ToList();
            var pending = versions.Find(v => v.Stages.Contains(Pending) && !v.Stages.Contains(Current));
            if (pending is not null)
            {
                return pending.VersionId;
            }

            var placeholder = new SecretVersionRecord { VersionId = Guid.NewGuid().ToString(), CreatedDate = _time.NowMillis() };
            versions.Add(placeholder);
            ApplyStages(versions, placeholder, [Pending]);
            await tx.InsertVersionAsync(secret.Id, placeholder, ct);
            await tx.ReplaceStagesAsync(secret.Id, StageMap(versions), ct);
            return placeholder.VersionId;
        }, ct);
    }

    /// <summary>
    /// After a rotation gave up: NextRotationDate moves to the end of the next window after now, so the
    /// scheduler tries again then (AWSPENDING stays for that attempt).
    /// </summary>
    public async Task PostponeRotationAsync(string secretArn, CancellationToken ct)
    {
        await _store.WriteAsync(async tx =>
        {
            var secret = await tx.FindSecretByArnAsync(secretArn, ct);
            if (secret is null || secret.RotationEnabled != true)
            {
                return false;
            }

            var now = _time.NowMillis();
            secret.NextRotationDate = RotationSchedule.NextRotationDate(secret.RotationRules, now);
            await tx.UpdateSecretAsync(secret, ct);
            return true;
        }, ct);
    }

    public async Task<WriteResult> CancelRotateSecretAsync(string region, string secretId, CancellationToken ct)
    {
        return await _store.WriteAsync(async tx =>
        {
            var secret = await SecretLookup.RequireWritableAsync(tx, region, secretId, ct);
            var versions = await tx.ListVersionsAsync(secret.Id, ct);
            var pending = versions.FirstOrDefault(v => v.Stages.Contains(Pending));
            secret.RotationEnabled = false;
            secret.NextRotationDate = null;
            secret.LastChangedDate = _time.NowMillis();
            await tx.UpdateSecretAsync(secret, ct);
            return new WriteResult(secret, pending?.VersionId, null);
        }, ct);
    }
}
