using System.Data.Common;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// The part of AWS's RDS rotation templates every built-in rotator shares: the step dispatcher, createSecret,
/// testSecret and finishSecret. Engines supply how to log in and setSecret.
/// </summary>
internal abstract class DatabaseRotator : IBuiltinRotator
{
    public const string Current = "AWSCURRENT";
    public const string Pending = "AWSPENDING";
    public const string Previous = "AWSPREVIOUS";
    public const string CloneSuffix = "_clone";

    /// <summary>AWS's default EXCLUDE_CHARACTERS for its database rotation templates.</summary>
    public const string ExcludeCharacters = ":/@\"'\\";

    internal static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    internal static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    public abstract string Kind { get; }

    /// <summary>The engine values this rotator accepts in a secret.</summary>
    protected abstract IReadOnlyCollection<string> Engines { get; }

    /// <summary>For messages: PostgreSQL or MySQL.</summary>
    protected abstract string EngineName { get; }

    protected abstract int DefaultPort { get; }

    /// <summary>The database a secret without dbname connects to (null: none).</summary>
    protected abstract string? DefaultDbName { get; }

    protected abstract int MaxUsernameLength { get; }

    protected abstract bool MultiUser { get; }

    public async Task RunStepAsync(RotationEvent rotationEvent, ISecretsManagerCalls secretsManager, OutboundPolicy outbound, Action<string> log, CancellationToken ct)
    {
        var (metadata, alreadyCurrent) = await RotationStepCheck.RunAsync(rotationEvent, secretsManager, outbound, log, ct).ConfigureAwait(false);
        string arn = rotationEvent.SecretId;
        string token = rotationEvent.ClientRequestToken;
        if (alreadyCurrent)
        {
            log($"{rotationEvent.Step}: Version {token} is already AWSCURRENT for secret {arn}; nothing to do.");
            return;
        }

        var step = new StepContext(rotationEvent.Step, arn, token, secretsManager, outbound, ct) { Log = log };
        switch (rotationEvent.Step)
        {
            case RotationEvent.CreateSecret:
                await CreateSecretAsync(step).ConfigureAwait(false);
                break;
            case RotationEvent.SetSecret:
                await SetSecretAsync(step).ConfigureAwait(false);
                step.Log($"setSecret: The AWSPENDING credentials of {step.Arn} log in to the {EngineName} DB.");
                break;
            case RotationEvent.TestSecret:
                await TestSecretAsync(step).ConfigureAwait(false);
                break;
            case RotationEvent.FinishSecret:
                await FinishSecretAsync(step, metadata).ConfigureAwait(false);
                break;
            default:
                throw new RotationStepException($"Invalid step parameter {rotationEvent.Step} for secret {arn}");
        }
    }

    private Task CreateSecretAsync(StepContext step) =>
        RotationCreateSecret.RunAsync(step, (stage, versionId) => GetSecretAsync(step, step.Arn, stage, versionId), username => MultiUser ? AlternateUsername(username) : username);

    private async Task TestSecretAsync(StepContext step)
    {
        DatabaseSecret pending = await GetSecretAsync(step, step.Arn, Pending, step.Token).ConfigureAwait(false);
        DbConnection? conn = await TryConnectAsync(step, pending).ConfigureAwait(false)
            ?? throw LoginFailed(step, pending, "AWSPENDING");
        await using (conn.ConfigureAwait(false))
        {
            try
            {
                await using DbCommand cmd = conn.CreateCommand();
                cmd.CommandText = "SELECT NOW()";
                cmd.CommandTimeout = (int)CommandTimeout.TotalSeconds;
                await cmd.ExecuteScalarAsync(step.Ct).ConfigureAwait(false);
            }
            catch (DbException e)
            {
                throw Failed(step, $"SELECT NOW() as {pending.Username} failed", e, pending.Password);
            }
        }

        step.Log($"testSecret: Successfully signed into {EngineName} DB with AWSPENDING secret in {step.Arn}.");
    }

    private static async Task FinishSecretAsync(StepContext step, SecretDescription metadata)
    {
        string? currentVersion = null;
        foreach ((string version, IReadOnlyList<string> stages) in metadata.VersionIdsToStages)
        {
            if (stages.Contains(Current))
            {
                if (version == step.Token)
                {
                    step.Log($"finishSecret: Version {version} already marked as AWSCURRENT for {step.Arn}");
                    return;
                }

                currentVersion = version;
                break;
            }
        }

        await step.SecretsManager.UpdateSecretVersionStageAsync(step.Arn, Current, step.Token, currentVersion, step.Ct).ConfigureAwait(false);
        step.Log($"finishSecret: Successfully set AWSCURRENT stage to version {step.Token} for secret {step.Arn}.");
    }

    protected abstract Task SetSecretAsync(StepContext step);

    /// <summary>Opens a connection with the secret's credentials; null when the login fails for any reason.</summary>
    protected abstract Task<DbConnection?> TryConnectAsync(StepContext step, DatabaseSecret secret);

    /// <summary>
    /// Single-user setSecret's logins, as AWS's templates do them: null when the AWSPENDING password
    /// already works; else a connection as the same user with the AWSCURRENT (or AWSPREVIOUS) password,
    /// after checking that pending changes nothing but the password.
    /// </summary>
    protected async Task<(DbConnection Connection, DatabaseSecret Current, DatabaseSecret Pending)?> SingleUserLoginAsync(StepContext step)
    {
        DatabaseSecret current = await GetSecretAsync(step, step.Arn, Current, null).ConfigureAwait(false);
        DatabaseSecret pending = await GetSecretAsync(step, step.Arn, Pending, step.Token).ConfigureAwait(false);

        DbConnection? conn = await TryConnectAsync(step, pending).ConfigureAwait(false);
        if (conn is not null)
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        if (!string.Equals(current.Username, pending.Username, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user {pending.Username} other than current user {current.Username}");
        }

        CheckSameDatabase(step, current, pending, "current");

        conn = await TryConnectAsync(step, current).ConfigureAwait(false);
        if (conn is null)
        {
            DatabaseSecret? previous = await TryGetPreviousAsync(step).ConfigureAwait(false);
            if (previous is not null)
            {
                if (!string.Equals(previous.Username, pending.Username, StringComparison.Ordinal))
                {
                    throw new RotationStepException($"{step.Name}: Attempting to modify user {pending.Username} other than previous valid user {previous.Username}");
                }

                CheckSameDatabase(step, previous, pending, "previous valid");
                conn = await TryConnectAsync(step, previous).ConfigureAwait(false);
            }
        }

        if (conn is null)
        {
            throw LoginFailed(step, pending, "AWSCURRENT, AWSPENDING or AWSPREVIOUS");
        }

        return (conn, current, pending);
    }

    /// <summary>
    /// Alternating-users setSecret's logins, as AWS's templates do them: null when the AWSPENDING user
    /// already logs in; else, after checking that pending is current's alternate user on the same database
    /// and that the AWSCURRENT login works (AWS's confused-deputy guard), a connection as the master user.
    /// </summary>
    protected async Task<(DbConnection Connection, DatabaseSecret Current, DatabaseSecret Pending, DatabaseSecret Master)?> MultiUserMasterLoginAsync(StepContext step)
    {
        DatabaseSecret current = await GetSecretAsync(step, step.Arn, Current, null).ConfigureAwait(false);
        DatabaseSecret pending = await GetSecretAsync(step, step.Arn, Pending, step.Token).ConfigureAwait(false);

        DbConnection? probe = await TryConnectAsync(step, pending).ConfigureAwait(false);
        if (probe is not null)
        {
            await probe.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        if (!string.Equals(AlternateUsername(current.Username), pending.Username, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user {pending.Username} other than current user or clone {current.Username}");
        }

        CheckSameDatabase(step, current, pending, "current");

        // Confused-deputy guard (AWS): the AWSCURRENT credentials must work before the master changes anything.
        probe = await TryConnectAsync(step, current).ConfigureAwait(false)
            ?? throw LoginFailed(step, current, "AWSCURRENT");
        await probe.DisposeAsync().ConfigureAwait(false);

        string masterArn = current.MasterArn
            ?? throw new RotationStepException($"{step.Name}: the current secret has no 'masterarn' key");
        DatabaseSecret master = MasterFor(await GetSecretAsync(step, masterArn, Current, null).ConfigureAwait(false), current);
        if (!string.Equals(master.Host, current.Host, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Current database host {current.Host} is not the same host as master {master.Host}");
        }

        DbConnection conn = await TryConnectAsync(step, master).ConfigureAwait(false)
            ?? throw new RotationStepException($"{step.Name}: Unable to log into database using credentials in master secret {masterArn}" +
                (step.LastLoginError is null ? string.Empty : $" (last error: {step.LastLoginError})"));
        return (conn, current, pending, master);
    }

    /// <summary>The master secret as used to reach the current user's database (PostgreSQL: in the current secret's dbname).</summary>
    protected virtual DatabaseSecret MasterFor(DatabaseSecret master, DatabaseSecret current) => master;

    protected async Task<DatabaseSecret> GetSecretAsync(StepContext step, string secretId, string stage, string? versionId)
    {
        ArgumentNullException.ThrowIfNull(step);
        SecretValueResult value = await step.SecretsManager.GetSecretValueAsync(secretId, versionId, stage, step.Ct).ConfigureAwait(false);
        string what = versionId is null ? $"{step.Name}: the {stage} version of secret {secretId}" : $"{step.Name}: version {versionId} ({stage}) of secret {secretId}";
        return DatabaseSecret.Parse(value.SecretString, what, Engines);
    }

    /// <summary>AWSPREVIOUS, or null when the secret has none.</summary>
    protected async Task<DatabaseSecret?> TryGetPreviousAsync(StepContext step)
    {
        ArgumentNullException.ThrowIfNull(step);
        try
        {
            return await GetSecretAsync(step, step.Arn, Previous, null).ConfigureAwait(false);
        }
        catch (SecretsManagerCallException e) when (e.Code == "ResourceNotFoundException")
        {
            return null;
        }
    }

    protected string AlternateUsername(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (username.EndsWith(CloneSuffix, StringComparison.Ordinal))
        {
            return username[..^CloneSuffix.Length];
        }

        string clone = username + CloneSuffix;
        if (clone.Length > MaxUsernameLength)
        {
            throw new RotationStepException($"Unable to clone user, username length with _clone appended would exceed {MaxUsernameLength} characters");
        }

        return clone;
    }

    /// <summary>The login user name without _clone: the user the multi-user scheme started from.</summary>
    protected static string BaseUsername(string username) =>
        username.EndsWith(CloneSuffix, StringComparison.Ordinal) ? username[..^CloneSuffix.Length] : username;

    protected int PortOf(DatabaseSecret secret) => secret?.Port ?? DefaultPort;

    /// <summary>
    /// The host to give the driver, after the operator's allow-list said yes: the checked address itself, so that a
    /// second DNS answer cannot send the login elsewhere — unless the secret asks for TLS with host verification
    /// (ssl: true), which binds the connection to the name. Refused hosts fail the step (the error names the host
    /// and the flag), before anything is sent.
    /// </summary>
    protected static async Task<string> CheckedHostAsync(StepContext step, DatabaseSecret secret)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(secret);
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

        return (addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses[0]).ToString();
    }

    protected string? DbNameOf(DatabaseSecret secret) => secret?.DbName ?? DefaultDbName;

    /// <summary>AWS checks the pending secret points at the same database as the current one.</summary>
    protected void CheckSameDatabase(StepContext step, DatabaseSecret current, DatabaseSecret pending, string currentLabel)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(pending);
        if (!string.Equals(current.Host, pending.Host, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user for host {pending.Host} other than {currentLabel} host {current.Host}");
        }

        if (PortOf(current) != PortOf(pending))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user for port {PortOf(pending)} other than {currentLabel} port {PortOf(current)}");
        }

        if (!string.Equals(DbNameOf(current), DbNameOf(pending), StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user for database {DbNameOf(pending) ?? "(none)"} other than {currentLabel} database {DbNameOf(current) ?? "(none)"}");
        }

        if (!string.Equals(current.Engine, pending.Engine, StringComparison.Ordinal))
        {
            throw new RotationStepException($"{step.Name}: Attempting to modify user for engine {pending.Engine} other than {currentLabel} engine {current.Engine}");
        }
    }

    protected RotationStepException LoginFailed(StepContext step, DatabaseSecret secret, string labels)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(secret);
        string detail = step.LastLoginError is null ? string.Empty : $" (last error: {step.LastLoginError})";
        return new RotationStepException(
            $"{step.Name}: could not log in to {EngineName} at {secret.Host}:{PortOf(secret)} as user {secret.Username} with the {labels} password{detail}");
    }

    /// <summary>
    /// A step failure caused by a driver exception. The driver's message goes in only when it holds none of the
    /// passwords (a MySQL syntax error can quote the statement); the driver exception itself is never kept as
    /// InnerException because its Data and Statement properties can hold the statement text.
    /// </summary>
    protected static RotationStepException Failed(StepContext step, string what, Exception e, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(e);
        return new RotationStepException($"{step.Name}: {what}: {Describe(e, secrets)}");
    }

    /// <summary>A driver error in words that hold no secret: its message if clean, else only its type and code.</summary>
    protected static string Describe(Exception e, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(secrets);
        string message = e.Message;
        string code = e is DbException { SqlState: { } state } && !message.StartsWith(state, StringComparison.Ordinal) ? $" SQLSTATE {state}" : string.Empty;
        foreach (string s in secrets)
        {
            if (s.Length > 0 && message.Contains(s, StringComparison.Ordinal))
            {
                return $"{e.GetType().Name}{code} (message withheld: it quotes the secret)";
            }
        }

        return $"{e.GetType().Name}{code}: {message}";
    }

    /// <summary>What one step run knows: its name, the secret, the token and the Secrets Manager calls.</summary>
    protected internal sealed class StepContext(string name, string arn, string token, ISecretsManagerCalls secretsManager, OutboundPolicy outbound, CancellationToken ct)
    {
        /// <summary>The hosts database connections may go to.</summary>
        public OutboundPolicy Outbound { get; } = outbound;

        public string Name { get; } = name;

        public string Arn { get; } = arn;

        public string Token { get; } = token;

        public ISecretsManagerCalls SecretsManager { get; } = secretsManager;

        public CancellationToken Ct { get; } = ct;

        /// <summary>The last failed login's error, already cleaned of secrets.</summary>
        public string? LastLoginError { get; set; }

        /// <summary>Where the rotator's messages go.</summary>
        public Action<string> Log { get; init; } = _ => { };
    }
}
