using StackExchange.Redis;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// Alternating Redis ACL users X and X_clone, as AWS's multi-user rotators alternate database users: the admin user
/// of the secret <c>masterarn</c> names gives the AWSPENDING user the AWSCURRENT user's ACL rules (flags, commands,
/// keys, channels, selectors) and the new password in one atomic <c>ACL SETUSER … resetpass resetkeys … #hash</c>. The AWSCURRENT
/// user is not touched, so once it becomes AWSPREVIOUS its credentials keep working until the next rotation takes its
/// turn. Rules are copied from the AWSCURRENT user at each rotation: change a permission on both users (or on the
/// AWSCURRENT one before the next rotation).
/// </summary>
internal sealed class RedisMultiUserRotator : RedisRotator
{
    /// <summary>What a user's ACL is cleared with before the current user's rules are applied (all but sanitize-payload of reset).</summary>
    private static readonly string[] ClearAll = ["off", "resetpass", "resetkeys", "resetchannels", "-@all"];

    public override string Kind => "redis-multi-user";

    protected override bool MultiUser => true;

    protected override async Task SetSecretAsync(DatabaseRotator.StepContext step)
    {
        DatabaseSecret current = await GetSecretAsync(step, step.Arn, DatabaseRotator.Current, null).ConfigureAwait(false);
        DatabaseSecret pending = await GetSecretAsync(step, step.Arn, DatabaseRotator.Pending, step.Token).ConfigureAwait(false);
        if (!string.Equals(AlternateUsername(current.Username), pending.Username, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user {pending.Username} other than current user or clone {current.Username}");
        }

        CheckSameServer(step, current, pending, "current");

        ConnectionMultiplexer? probe = await TryConnectAsync(step, pending).ConfigureAwait(false);
        if (probe is not null)
        {
            await probe.DisposeAsync().ConfigureAwait(false);
            step.Log($"setSecret: The AWSPENDING user of {step.Arn} already logs in to Redis.");
            return;
        }

        // Confused-deputy guard (AWS): the AWSCURRENT credentials must work before the admin changes anything.
        probe = await TryConnectAsync(step, current).ConfigureAwait(false)
            ?? throw LoginFailed(step, current, "AWSCURRENT");
        await probe.DisposeAsync().ConfigureAwait(false);

        string masterArn = current.MasterArn
            ?? throw new RotationStepException($"{step.Name}: the current secret has no 'masterarn' key");
        var (redis, master) = await MasterLoginAsync(step, current, masterArn).ConfigureAwait(false);
        await using (redis.ConfigureAwait(false))
        {
            string[] secrets = [pending.Password, current.Password, master.Password];
            RedisResult list = await AclAsync(step, redis, secrets, "LIST").ConfigureAwait(false);
            if (list.Resp2Type != ResultType.Array)
            {
                throw new RotationStepException($"{step.Name}: ACL LIST answered {list.Resp2Type}, not a list");
            }

            IReadOnlyList<string> rules = RedisAcl.RulesOf(((RedisResult[])list!).Select(r => (string?)r ?? string.Empty), current.Username)
                ?? throw new RotationStepException($"{step.Name}: the current user {current.Username} has no ACL entry in Redis");
            // Not "reset": it also sets sanitize-payload, which the current user may not have. Redis 6 has no
            // selectors and refuses clearselectors, so it is dropped when refused; the whole SETUSER is atomic.
            string hash = "#" + RedisAcl.PasswordHash(pending.Password);
            object[] args = ["SETUSER", pending.Username, .. ClearAll, "clearselectors", .. rules, hash];
            try
            {
                await AclAsync(step, redis, secrets, args).ConfigureAwait(false);
            }
            catch (RotationStepException e) when (e.Message.Contains("'clearselectors'", StringComparison.Ordinal))
            {
                args = ["SETUSER", pending.Username, .. ClearAll, .. rules, hash];
                await AclAsync(step, redis, secrets, args).ConfigureAwait(false);
            }

            await PersistAsync(step, redis, secrets).ConfigureAwait(false);
        }

        step.Log($"setSecret: Redis user {pending.Username} now has the ACL rules of {current.Username} and the AWSPENDING password of {step.Arn}.");
    }
}
