using System.Data.Common;
using System.Net.Sockets;
using MySqlConnector;

namespace Strongroom.Rotation.Builtin;

/// <summary>What both MySQL/MariaDB rotators share: logging in and running statements.</summary>
internal abstract class MySqlRotator : DatabaseRotator
{
    private static readonly string[] MySqlEngines = ["mysql", "mariadb", "aurora-mysql"];

    protected override IReadOnlyCollection<string> Engines => MySqlEngines;

    protected override string EngineName => "mysql";

    protected override int DefaultPort => 3306;

    protected override string? DefaultDbName => null;

    protected override int MaxUsernameLength => 32;

    protected override async Task<DbConnection?> TryConnectAsync(StepContext step, DatabaseSecret secret)
    {
        var host = await CheckedHostAsync(step, secret).ConfigureAwait(false);
        var csb = new MySqlConnectionStringBuilder
        {
            Server = host,
            Port = (uint)PortOf(secret),
            UserID = secret.Username,
            Password = secret.Password,
            ConnectionTimeout = (uint)ConnectTimeout.TotalSeconds,
            DefaultCommandTimeout = (uint)CommandTimeout.TotalSeconds,
            Pooling = false,
            ApplicationName = "strongroom-rotation",
            SslMode = secret.Ssl switch
            {
                true => MySqlSslMode.VerifyFull,
                false => MySqlSslMode.None,
                null => MySqlSslMode.Preferred,
            },
        };
        if (DbNameOf(secret) is { } db)
        {
            csb.Database = db;
        }

        var conn = new MySqlConnection(csb.ConnectionString);
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

    /// <summary>
    /// Runs a statement. MySqlConnector substitutes parameters client-side with proper escaping, so they work in
    /// account statements (ALTER USER ? IDENTIFIED BY ?) too. A failure is reported without the driver's text when
    /// that quotes a secret (a syntax error echoes the statement).
    /// </summary>
    protected static async Task ExecAsync(StepContext step, MySqlConnection conn, string sql, string[] secrets, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(conn);
        try
        {
            await using var cmd = new MySqlCommand(sql, conn);
            foreach (object? a in args)
            {
                cmd.Parameters.Add(new MySqlParameter { Value = a });
            }

            await cmd.ExecuteNonQueryAsync(step.Ct).ConfigureAwait(false);
        }
        catch (MySqlException e)
        {
            throw Failed(step, $"statement {FirstWords(sql)} failed", e, secrets);
        }
    }

    protected static async Task<List<object?[]>> QueryAsync(StepContext step, MySqlConnection conn, string sql, string[] secrets, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(conn);
        try
        {
            await using var cmd = new MySqlCommand(sql, conn);
            foreach (object? a in args)
            {
                cmd.Parameters.Add(new MySqlParameter { Value = a });
            }

            var rows = new List<object?[]>();
            await using MySqlDataReader reader = await cmd.ExecuteReaderAsync(step.Ct).ConfigureAwait(false);
            while (await reader.ReadAsync(step.Ct).ConfigureAwait(false))
            {
                object?[] row = new object?[reader.FieldCount];
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            return rows;
        }
        catch (MySqlException e)
        {
            throw Failed(step, $"query {FirstWords(sql)} failed", e, secrets);
        }
    }

    /// <summary>A MySQL identifier in backticks.</summary>
    protected static string Ident(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";
    }

    /// <summary>True for MariaDB and MySQL before 8, whose SET PASSWORD takes PASSWORD('plaintext').</summary>
    internal static bool UsesPasswordFunction(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        int dot = version.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && int.TryParse(version.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int major) && major < 8;
    }

    private static string FirstWords(string sql) => string.Join(' ', sql.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries).Take(2));
}

/// <summary>AWS's SecretsManagerRDSMySQLRotationSingleUser: the user changes its own password.</summary>
internal sealed class MySqlSingleUserRotator : MySqlRotator
{
    public override string Kind => "mysql-single-user";

    protected override bool MultiUser => false;

    protected override async Task SetSecretAsync(StepContext step)
    {
        if (await SingleUserLoginAsync(step).ConfigureAwait(false) is not { } login)
        {
            return;
        }

        var (conn, current, pending) = login;

        await using (conn.ConfigureAwait(false))
        {
            // As AWS: SET PASSWORD for the logged-in account, which needs no privilege. MariaDB and MySQL before 8
            // take PASSWORD(plaintext); MySQL 8 removed PASSWORD() and takes the plaintext.
            var my = (MySqlConnection)conn;
            string[] secrets = [pending.Password, current.Password];
            string version = Convert.ToString((await QueryAsync(step, my, "SELECT VERSION()", secrets).ConfigureAwait(false))[0][0], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            string sql = UsesPasswordFunction(version) ? "SET PASSWORD = PASSWORD(?)" : "SET PASSWORD = ?";
            await ExecAsync(step, my, sql, secrets, pending.Password).ConfigureAwait(false);
        }
    }
}
