using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace Strongroom.Rotation.Builtin;

/// <summary>What both PostgreSQL rotators share: logging in and running statements.</summary>
internal abstract class PostgreSqlRotator : DatabaseRotator
{
    private static readonly string[] PostgresEngines = ["postgres", "aurora-postgresql"];

    protected override IReadOnlyCollection<string> Engines => PostgresEngines;

    protected override string EngineName => "postgres";

    protected override int DefaultPort => 5432;

    protected override string? DefaultDbName => "postgres";

    protected override int MaxUsernameLength => 63;

    protected override async Task<DbConnection?> TryConnectAsync(StepContext step, DatabaseSecret secret)
    {
        var host = await CheckedHostAsync(step, secret).ConfigureAwait(false);
        var csb = new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = PortOf(secret),
            Username = secret.Username,
            Password = secret.Password,
            Database = DbNameOf(secret),
            Timeout = (int)ConnectTimeout.TotalSeconds,
            CommandTimeout = (int)CommandTimeout.TotalSeconds,
            Pooling = false,
            ApplicationName = "strongroom-rotation",

            // AWS: no ssl key means try TLS and fall back; true means verify-full; false means no TLS.
            SslMode = secret.Ssl switch
            {
                true => SslMode.VerifyFull,
                false => SslMode.Disable,
                null => SslMode.Prefer,
            },
        };
        var conn = new NpgsqlConnection(csb.ConnectionString);
        try
        {
            await conn.OpenAsync(step.Ct).ConfigureAwait(false);
            return conn;
        }
        catch (Exception e) when (e is DbException or TimeoutException or IOException or SocketException or ArgumentException)
        {
            step.LastLoginError = Describe(e, secret.Password);
            await conn.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A PostgreSQL identifier, always double-quoted (what quote_ident does when quoting is needed).</summary>
    protected static string Ident(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new RotationStepException("a PostgreSQL identifier cannot contain a NUL character");
        }

        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    protected static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] args)
    {
        ArgumentNullException.ThrowIfNull(conn);
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (object a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    protected static async Task<List<object[]>> QueryAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] args)
    {
        ArgumentNullException.ThrowIfNull(conn);
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (object a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }

        var rows = new List<object[]>();
        await using NpgsqlDataReader reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            object[] row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// Runs "&lt;prefix&gt; &lt;role&gt; WITH [LOGIN] PASSWORD '&lt;password&gt;'". Role statements take no bind
    /// parameters, so the server builds the text with format('%I', '%L') from bound values, and the statement is
    /// then run as is. A failure is reported with its SQLSTATE only: the driver's exception can carry the statement.
    /// </summary>
    protected static async Task SetPasswordAsync(StepContext step, NpgsqlConnection conn, NpgsqlTransaction? tx, string verb, string role, string password, bool login)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(conn);
        string sql;
        await using (var build = new NpgsqlCommand("SELECT format($1 || ' %I WITH ' || $2 || 'PASSWORD %L', $3::text, $4::text)", conn, tx))
        {
            build.Parameters.Add(new NpgsqlParameter { Value = verb });
            build.Parameters.Add(new NpgsqlParameter { Value = login ? "LOGIN " : string.Empty });
            build.Parameters.Add(new NpgsqlParameter { Value = role });
            build.Parameters.Add(new NpgsqlParameter { Value = password });
            sql = (string)(await build.ExecuteScalarAsync(step.Ct).ConfigureAwait(false))!;
        }

        try
        {
            await using var cmd = new NpgsqlCommand(sql, conn, tx);
            await cmd.ExecuteNonQueryAsync(step.Ct).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new RotationStepException($"{step.Name}: {verb} {role} ... PASSWORD failed: SQLSTATE {e.SqlState}");
        }
        catch (NpgsqlException e)
        {
            throw new RotationStepException($"{step.Name}: {verb} {role} ... PASSWORD failed: {Describe(e, password)}");
        }
    }
}

/// <summary>AWS's SecretsManagerRDSPostgreSQLRotationSingleUser: the user changes its own password.</summary>
internal sealed class PostgreSqlSingleUserRotator : PostgreSqlRotator
{
    public override string Kind => "postgresql-single-user";

    protected override bool MultiUser => false;

    protected override async Task SetSecretAsync(StepContext step)
    {
        if (await SingleUserLoginAsync(step).ConfigureAwait(false) is not { } login)
        {
            return;
        }

        var (conn, _, pending) = login;

        await using (conn.ConfigureAwait(false))
        {
            await SetPasswordAsync(step, (NpgsqlConnection)conn, null, "ALTER USER", pending.Username, pending.Password, login: false).ConfigureAwait(false);
        }
    }
}
