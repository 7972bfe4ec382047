using StackExchange.Redis;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// One Redis ACL user, two passwords for a while. setSecret adds the AWSPENDING password to the user
/// (<c>ACL SETUSER user #hash</c>) and keeps the AWSCURRENT one, so clients keep working while the rotation runs;
/// finishSecret moves AWSCURRENT and then removes the old password (<c>!hash</c>), so it is refused from then on.
/// The ACL changes are made by the admin user of the secret <c>masterarn</c> names when there is one, else by the
/// user itself, which then needs the <c>acl|setuser</c> and <c>acl|getuser</c> permissions (which let it change any
/// user: prefer masterarn).
/// </summary>
internal sealed class RedisSingleUserRotator : RedisRotator
{
    public override string Kind => "redis-single-user";

    protected override bool MultiUser => false;

    protected override async Task SetSecretAsync(DatabaseRotator.StepContext step)
    {
        DatabaseSecret current = await GetSecretAsync(step, step.Arn, DatabaseRotator.Current, null).ConfigureAwait(false);
        DatabaseSecret pending = await GetSecretAsync(step, step.Arn, DatabaseRotator.Pending, step.Token).ConfigureAwait(false);
        if (!string.Equals(current.Username, pending.Username, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user {pending.Username} other than current user {current.Username}");
        }

        CheckSameServer(step, current, pending, "current");

        ConnectionMultiplexer? probe = await TryConnectAsync(step, pending).ConfigureAwait(false);
        if (probe is not null)
        {
            await probe.DisposeAsync().ConfigureAwait(false);
            step.Log($"setSecret: The AWSPENDING password of {step.Arn} already logs in to Redis.");
            return;
        }

        var (redis, admin) = await AdminLoginAsync(step, current, pending).ConfigureAwait(false);
        await using (redis.ConfigureAwait(false))
        {
            string[] secrets = [pending.Password, current.Password, admin.Password];
            await AclAsync(step, redis, secrets, "SETUSER", pending.Username, "#" + RedisAcl.PasswordHash(pending.Password)).ConfigureAwait(false);
            await PersistAsync(step, redis, secrets).ConfigureAwait(false);
        }

        step.Log($"setSecret: Added the AWSPENDING password of {step.Arn} to Redis user {pending.Username}; the AWSCURRENT one still works until finishSecret.");
    }

    /// <summary>Removes AWSPREVIOUS's password (the one AWSCURRENT replaced) from the user, when the user still has it.</summary>
    protected override async Task AfterFinishAsync(DatabaseRotator.StepContext step)
    {
        DatabaseSecret current = await GetSecretAsync(step, step.Arn, DatabaseRotator.Current, null).ConfigureAwait(false);
        DatabaseSecret? previous = await TryGetPreviousAsync(step).ConfigureAwait(false);
        if (previous is null || !string.Equals(previous.Username, current.Username, StringComparison.Ordinal)
            || string.Equals(previous.Password, current.Password, StringComparison.Ordinal))
        {
            return;
        }

        CheckSameServer(step, current, previous, "current");
        var (redis, admin) = await AdminLoginAsync(step, current, current).ConfigureAwait(false);
        await using (redis.ConfigureAwait(false))
        {
            string[] secrets = [current.Password, previous.Password, admin.Password];
            string old = RedisAcl.PasswordHash(previous.Password);
            RedisResult user = await AclAsync(step, redis, secrets, "GETUSER", current.Username).ConfigureAwait(false);
            if (!RedisAcl.PasswordHashes(user).Contains(old, StringComparer.OrdinalIgnoreCase))
            {
                step.Log($"finishSecret: The AWSPREVIOUS password of {step.Arn} is already gone from Redis user {current.Username}.");
                return;
            }

            await AclAsync(step, redis, secrets, "SETUSER", current.Username, "!" + old).ConfigureAwait(false);
            await PersistAsync(step, redis, secrets).ConfigureAwait(false);
        }

        step.Log($"finishSecret: Removed the AWSPREVIOUS password of {step.Arn} from Redis user {current.Username}.");
    }

    /// <summary>
    /// Who changes the ACL: the masterarn admin if the secret names one; else the user itself with its AWSCURRENT
    /// password (or AWSPREVIOUS's, as AWS's templates fall back) — or, in finishSecret, the new AWSCURRENT one.
    /// </summary>
    private static async Task<(ConnectionMultiplexer Connection, DatabaseSecret Admin)> AdminLoginAsync(DatabaseRotator.StepContext step, DatabaseSecret current, DatabaseSecret pending)
    {
        if (current.MasterArn is { } masterArn)
        {
            return await MasterLoginAsync(step, current, masterArn).ConfigureAwait(false);
        }

        ConnectionMultiplexer? redis = await TryConnectAsync(step, current).ConfigureAwait(false);
        if (redis is not null)
        {
            return (redis, current);
        }

        DatabaseSecret? previous = await TryGetPreviousAsync(step).ConfigureAwait(false);
        if (previous is not null && string.Equals(previous.Username, pending.Username, StringComparison.Ordinal))
        {
            CheckSameServer(step, previous, pending, "previous valid");
            redis = await TryConnectAsync(step, previous).ConfigureAwait(false);
            if (redis is not null)
            {
                return (redis, previous);
            }
        }

        throw LoginFailed(step, pending, "AWSCURRENT or AWSPREVIOUS");
    }
}
