using System.Net.Sockets;
using StackExchange.Redis;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// What both Redis ACL rotators share: AWS's step dispatcher and its createSecret/testSecret/finishSecret, logging in
/// with StackExchange.Redis, and running ACL commands. Secrets are <c>{"engine":"redis","host","port","username",
/// "password"}</c> plus AWS's <c>ssl</c> flag (true: TLS with the certificate checked against <c>host</c>) and, for
/// the admin user that changes ACLs, <c>masterarn</c>. Passwords go to Redis only as SHA-256 hashes (ACL SETUSER
/// <c>#hash</c> / <c>!hash</c>), so Redis never echoes a plaintext back in an error, and neither do we: a driver
/// message that quotes any secret (or its hash) is withheld.
/// </summary>
internal abstract class RedisRotator : IBuiltinRotator
{
    private static readonly string[] RedisEngines = ["redis", "valkey"];

    /// <summary>Redis's default port.</summary>
    public const int DefaultPort = 6379;

    /// <summary>Redis has no limit of its own; ours keeps user names readable and the clone's name bounded.</summary>
    public const int MaxUsernameLength = 128;

    /// <summary>The commands StackExchange.Redis's handshake would send that a rotated user need not be allowed.</summary>
    private static readonly CommandMap HandshakeFreeCommands = CommandMap.Create(
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "ECHO", "INFO", "CONFIG", "CLUSTER", "CLIENT", "SUBSCRIBE", "SENTINEL" },
        available: false);

    public abstract string Kind { get; }

    protected abstract bool MultiUser { get; }

    public async Task RunStepAsync(RotationEvent rotationEvent, ISecretsManagerCalls secretsManager, OutboundPolicy outbound, Action<string> log, CancellationToken ct)
    {
        var (metadata, alreadyCurrent) = await RotationStepCheck.RunAsync(rotationEvent, secretsManager, outbound, log, ct).ConfigureAwait(false);
        string arn = rotationEvent.SecretId;
        string token = rotationEvent.ClientRequestToken;
        var step = new DatabaseRotator.StepContext(rotationEvent.Step, arn, token, secretsManager, outbound, ct) { Log = log };
        if (alreadyCurrent)
        {
            log($"{rotationEvent.Step}: Version {token} is already AWSCURRENT for secret {arn}.");
            if (rotationEvent.Step == RotationEvent.FinishSecret)
            {
                // A finishSecret that failed after moving AWSCURRENT is run again: its clean-up must still happen.
                await AfterFinishAsync(step).ConfigureAwait(false);
            }

            return;
        }

        switch (rotationEvent.Step)
        {
            case RotationEvent.CreateSecret:
                await CreateSecretAsync(step).ConfigureAwait(false);
                break;
            case RotationEvent.SetSecret:
                await SetSecretAsync(step).ConfigureAwait(false);
                break;
            case RotationEvent.TestSecret:
                await TestSecretAsync(step).ConfigureAwait(false);
                break;
            case RotationEvent.FinishSecret:
                await FinishSecretAsync(step, metadata).ConfigureAwait(false);
                await AfterFinishAsync(step).ConfigureAwait(false);
                break;
            default:
                throw new RotationStepException($"Invalid step parameter {rotationEvent.Step} for secret {arn}");
        }
    }

    /// <summary>Makes AWSPENDING's user able to log in with AWSPENDING's password (idempotent).</summary>
    protected abstract Task SetSecretAsync(DatabaseRotator.StepContext step);

    /// <summary>Runs after AWSCURRENT moved to the new version (and again when finishSecret is repeated).</summary>
    protected virtual Task AfterFinishAsync(DatabaseRotator.StepContext step) => Task.CompletedTask;

    private Task CreateSecretAsync(DatabaseRotator.StepContext step) =>
        RotationCreateSecret.RunAsync(step, (stage, versionId) => GetSecretAsync(step, step.Arn, stage, versionId), username => MultiUser ? AlternateUsername(username) : username);

    private static async Task TestSecretAsync(DatabaseRotator.StepContext step)
    {
        DatabaseSecret pending = await GetSecretAsync(step, step.Arn, DatabaseRotator.Pending, step.Token).ConfigureAwait(false);
        ConnectionMultiplexer redis = await TryConnectAsync(step, pending).ConfigureAwait(false)
            ?? throw LoginFailed(step, pending, "AWSPENDING");
        await using (redis.ConfigureAwait(false))
        {
            await PingAsync(step, redis, pending).ConfigureAwait(false);
        }

        step.Log($"testSecret: Successfully signed into Redis with AWSPENDING secret in {step.Arn}.");
    }

    private static async Task FinishSecretAsync(DatabaseRotator.StepContext step, SecretDescription metadata)
    {
        string? currentVersion = null;
        foreach ((string version, IReadOnlyList<string> stages) in metadata.VersionIdsToStages)
        {
            if (stages.Contains(DatabaseRotator.Current))
            {
                currentVersion = version;
                break;
            }
        }

        await step.SecretsManager.UpdateSecretVersionStageAsync(step.Arn, DatabaseRotator.Current, step.Token, currentVersion, step.Ct).ConfigureAwait(false);
        step.Log($"finishSecret: Successfully set AWSCURRENT stage to version {step.Token} for secret {step.Arn}.");
    }

    /// <summary>PING as the logged-in user, on a fresh round trip after the handshake; any failure fails the step.</summary>
    protected static async Task PingAsync(DatabaseRotator.StepContext step, ConnectionMultiplexer redis, DatabaseSecret secret)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(secret);
        try
        {
            await redis.GetDatabase().ExecuteAsync("PING").ConfigureAwait(false);
        }
        catch (Exception e) when (IsDriverError(e))
        {
            throw Failed(step, $"PING as {secret.Username} failed", e, secret.Password);
        }
    }

    /// <summary>Runs ACL &lt;args&gt; on an admin (or self-managing) connection; failures say the subcommand, never the arguments.</summary>
    protected static async Task<RedisResult> AclAsync(DatabaseRotator.StepContext step, ConnectionMultiplexer redis, string[] secrets, params object[] args)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            return await redis.GetDatabase().ExecuteAsync("ACL", args).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDriverError(e))
        {
            throw Failed(step, $"ACL {args[0]} {(args.Length > 1 ? args[1] : string.Empty)}".TrimEnd() + " failed", e, secrets);
        }
    }

    /// <summary>
    /// Makes an ACL change outlive a Redis restart: ACL SAVE when Redis keeps its users in an ACL file, else CONFIG
    /// REWRITE when it has a configuration file. Neither is an error when impossible (a Redis started without either
    /// file keeps users in memory only, as the operator chose); the run's output says which happened.
    /// </summary>
    protected static async Task PersistAsync(DatabaseRotator.StepContext step, ConnectionMultiplexer redis, string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(redis);
        IDatabase db = redis.GetDatabase();
        try
        {
            await db.ExecuteAsync("ACL", "SAVE").ConfigureAwait(false);
            step.Log($"{step.Name}: Saved the change to Redis's ACL file (ACL SAVE).");
            return;
        }
        catch (RedisServerException e) when (e.Message.Contains("not configured to use an ACL file", StringComparison.OrdinalIgnoreCase))
        {
            // Users live in the configuration file, if any: rewrite it below.
        }
        catch (Exception e) when (IsDriverError(e))
        {
            step.Log($"{step.Name}: ACL SAVE failed ({Describe(e, secrets)}); the change is lost if Redis restarts before it is saved.");
            return;
        }

        try
        {
            await db.ExecuteAsync("CONFIG", "REWRITE").ConfigureAwait(false);
            step.Log($"{step.Name}: Saved the change to Redis's configuration file (CONFIG REWRITE).");
        }
        catch (Exception e) when (IsDriverError(e))
        {
            step.Log($"{step.Name}: Redis has no ACL file and CONFIG REWRITE failed ({Describe(e, secrets)}): the change is in Redis's memory only.");
        }
    }

    /// <summary>
    /// Logs in with the secret's credentials; null when the login fails for any reason (the reason, cleaned of
    /// secrets, is kept in <see cref="DatabaseRotator.StepContext.LastLoginError"/>). The caller disposes the connection.
    /// </summary>
    protected static async Task<ConnectionMultiplexer?> TryConnectAsync(DatabaseRotator.StepContext step, DatabaseSecret secret)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(secret);
        string host = await CheckedHostAsync(step, secret).ConfigureAwait(false);
        var options = new ConfigurationOptions
        {
            EndPoints = { { host, PortOf(secret) } },
            User = secret.Username,
            Password = secret.Password,
            Ssl = secret.Ssl == true,
            SslHost = secret.Ssl == true ? secret.Host : null,
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = (int)DatabaseRotator.ConnectTimeout.TotalMilliseconds,
            SyncTimeout = (int)DatabaseRotator.CommandTimeout.TotalMilliseconds,
            AsyncTimeout = (int)DatabaseRotator.CommandTimeout.TotalMilliseconds,
            ClientName = "strongroom-rotation",

            // One plain connection that sends only what the rotation needs: no tie-breaker key read, no pub/sub
            // configuration channel, none of the handshake's discovery commands (which a narrowly permitted user may
            // not run, and which fail the handshake when refused). The handshake still checks the link with PING,
            // so a user must be allowed PING to log in here.
            CommandMap = HandshakeFreeCommands,
            TieBreaker = string.Empty,
            ConfigurationChannel = string.Empty,
            SetClientLibrary = false,
            IncludeDetailInExceptions = false,
        };

        try
        {
            ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            if (!redis.IsConnected)
            {
                step.LastLoginError = "not connected";
                await redis.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            return redis;
        }
        catch (Exception e) when (e is RedisException or SocketException or IOException or TimeoutException or ArgumentException or InvalidOperationException)
        {
            step.LastLoginError = Describe(e, secret.Password);
            return null;
        }
    }

    /// <summary>
    /// The host to connect to, after the operator's allow-list said yes: the checked address itself (so a second DNS
    /// answer cannot send the login elsewhere), unless the secret asks for TLS, which binds the connection to the name.
    /// </summary>
    private static async Task<string> CheckedHostAsync(DatabaseRotator.StepContext step, DatabaseSecret secret)
    {
        IReadOnlyList<System.Net.IPAddress> addresses;
        try
        {
            addresses = await step.Outbound.CheckAsync(secret.Host, step.Ct).ConfigureAwait(false);
        }
        catch (OutboundRefusedException e)
        {
            throw new RotationStepException($"{step.Name}: {e.Message}");
        }

        if (addresses.Count == 0 || secret.Ssl == true)
        {
            return secret.Host;
        }

        return (addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0]).ToString();
    }

    protected static int PortOf(DatabaseSecret secret) => secret?.Port ?? DefaultPort;

    protected static async Task<DatabaseSecret> GetSecretAsync(DatabaseRotator.StepContext step, string secretId, string stage, string? versionId)
    {
        ArgumentNullException.ThrowIfNull(step);
        SecretValueResult value = await step.SecretsManager.GetSecretValueAsync(secretId, versionId, stage, step.Ct).ConfigureAwait(false);
        string what = versionId is null ? $"{step.Name}: the {stage} version of secret {secretId}" : $"{step.Name}: version {versionId} ({stage}) of secret {secretId}";
        DatabaseSecret secret = DatabaseSecret.Parse(value.SecretString, what, RedisEngines);
        if (secret.Username.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new RotationStepException($"{what}: a Redis user name cannot hold spaces or control characters");
        }

        return secret;
    }

    /// <summary>AWSPREVIOUS, or null when the secret has none.</summary>
    protected static async Task<DatabaseSecret?> TryGetPreviousAsync(DatabaseRotator.StepContext step)
    {
        try
        {
            return await GetSecretAsync(step, step.Arn, DatabaseRotator.Previous, null).ConfigureAwait(false);
        }
        catch (SecretsManagerCallException e) when (e.Code == "ResourceNotFoundException")
        {
            return null;
        }
    }

    /// <summary>
    /// The admin secret <c>masterarn</c> names, checked to be on the same Redis as <paramref name="current"/>, and a
    /// connection as its user.
    /// </summary>
    protected static async Task<(ConnectionMultiplexer Connection, DatabaseSecret Master)> MasterLoginAsync(DatabaseRotator.StepContext step, DatabaseSecret current, string masterArn)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(current);
        DatabaseSecret master = await GetSecretAsync(step, masterArn, DatabaseRotator.Current, null).ConfigureAwait(false);
        if (!string.Equals(master.Host, current.Host, StringComparison.Ordinal) || PortOf(master) != PortOf(current))
        {
            throw new RotationStepException($"{step.Name}: Current Redis {current.Host}:{PortOf(current)} is not the same as the master's {master.Host}:{PortOf(master)}");
        }

        ConnectionMultiplexer redis = await TryConnectAsync(step, master).ConfigureAwait(false)
            ?? throw new RotationStepException($"{step.Name}: Unable to log into Redis using credentials in master secret {masterArn}" +
                (step.LastLoginError is null ? string.Empty : $" (last error: {step.LastLoginError})"));
        return (redis, master);
    }

    /// <summary>AWS checks that the pending secret points at the same server as the current one.</summary>
    protected static void CheckSameServer(DatabaseRotator.StepContext step, DatabaseSecret current, DatabaseSecret pending, string currentLabel)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(pending);
        if (!string.Equals(current.Host, pending.Host, StringComparison.Ordinal) || PortOf(current) != PortOf(pending))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user for {pending.Host}:{PortOf(pending)} other than {currentLabel} {current.Host}:{PortOf(current)}");
        }

        if (!string.Equals(current.Engine, pending.Engine, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user for engine {pending.Engine} other than {currentLabel} engine {current.Engine}");
        }
    }

    protected static string AlternateUsername(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (username.EndsWith(DatabaseRotator.CloneSuffix, StringComparison.Ordinal))
        {
            return username[..^DatabaseRotator.CloneSuffix.Length];
        }

        string clone = username + DatabaseRotator.CloneSuffix;
        if (clone.Length > MaxUsernameLength)
        {
            throw new RotationStepException($"Unable to clone user, username length with _clone appended would exceed {MaxUsernameLength} characters");
        }

        return clone;
    }

    protected static RotationStepException LoginFailed(DatabaseRotator.StepContext step, DatabaseSecret secret, string labels)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(secret);
        string detail = step.LastLoginError is null ? string.Empty : $" (last error: {step.LastLoginError})";
        return new RotationStepException($"{step.Name}: could not log in to Redis at {secret.Host}:{PortOf(secret)} as user {secret.Username} with the {labels} password{detail}");
    }

    /// <summary>
    /// What StackExchange.Redis throws for a failed command: server errors and lost connections (RedisException),
    /// timeouts (RedisTimeoutException is a TimeoutException), commands refused client-side (RedisCommandException).
    /// </summary>
    private static bool IsDriverError(Exception e) => e is RedisException or RedisCommandException or TimeoutException;

    /// <summary>A step failure caused by a driver exception; the exception is not kept (its data can hold arguments).</summary>
    protected static RotationStepException Failed(DatabaseRotator.StepContext step, string what, Exception e, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(step);
        return new RotationStepException($"{step.Name}: {what}: {Describe(e, secrets)}");
    }

    /// <summary>A driver error in words that hold no secret: its message if it quotes none of them (nor their hashes), else only its type.</summary>
    protected static string Describe(Exception e, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(secrets);

        // The connection failure's kind (UnableToConnect, AuthenticationFailure, SocketFailure …) says more than its text.
        string kind = e is RedisConnectionException connection ? $"{e.GetType().Name} ({connection.FailureType})" : e.GetType().Name;
        string message = e.Message;
        foreach (string s in secrets)
        {
            if (s.Length > 0 && (message.Contains(s, StringComparison.Ordinal) || message.Contains(RedisAcl.PasswordHash(s), StringComparison.OrdinalIgnoreCase)))
            {
                return $"{kind} (message withheld: it quotes a secret)";
            }
        }

        return $"{kind}: {message}";
    }
}
