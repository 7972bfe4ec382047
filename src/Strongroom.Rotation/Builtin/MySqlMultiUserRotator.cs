using System.Data.Common;
using MySqlConnector;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// AWS's SecretsManagerRDSMySQLRotationMultiUser (alternating users X and X_clone, changed by the master user),
/// with its known fault fixed: AWS copies X's grants to X_clone once per rotation, so a grant made to one user
/// between rotations does not reach the other. Here the grants live on a role &lt;X&gt;_group granted to both login
/// users as their default role; X's own grants are copied to the role on every rotation, so grants made to the
/// role (or to X) reach both. Works on MariaDB (SET DEFAULT ROLE r FOR u) and MySQL 8 (SET DEFAULT ROLE r TO u).
/// MySQL has no object ownership: a table one user creates is usable by the other through the shared grants.
/// Every statement is idempotent (MySQL account statements cannot run in a transaction), so a failed setSecret
/// can simply be run again.
/// </summary>
internal sealed class MySqlMultiUserRotator : MySqlRotator
{
    public const string GroupSuffix = "_group";

    public override string Kind => "mysql-multi-user";

    protected override bool MultiUser => true;

    protected override async Task SetSecretAsync(StepContext step)
    {
        if (await MultiUserMasterLoginAsync(step).ConfigureAwait(false) is not { } login)
        {
            return;
        }

        var (conn, current, pending, master) = login;
        await using (conn.ConfigureAwait(false))
        {
            await ConvergeAsync(step, (MySqlConnection)conn, current, pending, [pending.Password, current.Password, master.Password]).ConfigureAwait(false);
        }
    }

    private static async Task ConvergeAsync(StepContext step, MySqlConnection c, DatabaseSecret current, DatabaseSecret pending, string[] secrets)
    {
        string baseUser = BaseUsername(current.Username);
        string cloneUser = baseUser + CloneSuffix;
        string group = Ident(baseUser + GroupSuffix);

        string version = (string)(await QueryAsync(step, c, "SELECT VERSION()", secrets).ConfigureAwait(false))[0][0]!;
        bool mariaDb = version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);

        // The accounts' host part: the current user's (AWS assumes '%').
        List<object?[]> hosts = await QueryAsync(step, c, "SELECT Host FROM mysql.user WHERE User = ? ORDER BY Host = '%' DESC", secrets, current.Username).ConfigureAwait(false);
        if (hosts.Count == 0)
        {
            throw new RotationStepException($"{step.Name}: the current user {current.Username} has no account in mysql.user");
        }

        string host = Convert.ToString(hosts[0][0], System.Globalization.CultureInfo.InvariantCulture) ?? "%";

        await ExecAsync(step, c, $"CREATE ROLE IF NOT EXISTS {group}", secrets).ConfigureAwait(false);

        bool pendingExists = (await QueryAsync(step, c, "SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?", secrets, pending.Username, host).ConfigureAwait(false)).Count > 0;
        if (!pendingExists)
        {
            await ExecAsync(step, c, "CREATE USER ?@? IDENTIFIED BY ?", secrets, pending.Username, host, pending.Password).ConfigureAwait(false);
        }

        // Copy the base user's object privileges to the role (role grants and SET DEFAULT ROLE lines are skipped).
        bool baseExists = (await QueryAsync(step, c, "SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?", secrets, baseUser, host).ConfigureAwait(false)).Count > 0;
        if (baseExists)
        {
            foreach (object?[] row in await QueryAsync(step, c, "SHOW GRANTS FOR ?@?", secrets, baseUser, host).ConfigureAwait(false))
            {
                string line = Convert.ToString(row[0], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                int to = line.LastIndexOf(" TO ", StringComparison.Ordinal);
                if (!line.StartsWith("GRANT ", StringComparison.Ordinal) || to < 0 || line.StartsWith("GRANT PROXY ", StringComparison.Ordinal))
                {
                    continue;
                }

                string prefix = line[..to];
                if (!prefix.Contains(" ON ", StringComparison.Ordinal) || prefix.StartsWith("GRANT USAGE ON *.*", StringComparison.Ordinal))
                {
                    continue;
                }

                string option = line.EndsWith(" WITH GRANT OPTION", StringComparison.Ordinal) ? " WITH GRANT OPTION" : string.Empty;
                await ExecAsync(step, c, $"{prefix} TO {group}{option}", secrets).ConfigureAwait(false);
            }
        }

        // Both login users get the role as their default role.
        foreach (string user in new[] { baseUser, cloneUser })
        {
            if ((await QueryAsync(step, c, "SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?", secrets, user, host).ConfigureAwait(false)).Count == 0)
            {
                continue;
            }

            await ExecAsync(step, c, $"GRANT {group} TO ?@?", secrets, user, host).ConfigureAwait(false);
            string setDefault = mariaDb ? $"SET DEFAULT ROLE {group} FOR ?@?" : $"SET DEFAULT ROLE {group} TO ?@?";
            await ExecAsync(step, c, setDefault, secrets, user, host).ConfigureAwait(false);
        }

        // TLS requirements follow the current user (AWS).
        List<object?[]> tls = await QueryAsync(step, c, "SELECT ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user WHERE User = ? AND Host = ?", secrets, current.Username, host).ConfigureAwait(false);
        string sslType = tls.Count == 0 ? string.Empty : AsText(tls[0][0]);
        switch (sslType)
        {
            case "":
                await ExecAsync(step, c, "ALTER USER ?@? REQUIRE NONE", secrets, pending.Username, host).ConfigureAwait(false);
                break;
            case "ANY":
                await ExecAsync(step, c, "ALTER USER ?@? REQUIRE SSL", secrets, pending.Username, host).ConfigureAwait(false);
                break;
            case "X509":
                await ExecAsync(step, c, "ALTER USER ?@? REQUIRE X509", secrets, pending.Username, host).ConfigureAwait(false);
                break;
            default:
                await ExecAsync(step, c, "ALTER USER ?@? REQUIRE CIPHER ? AND ISSUER ? AND SUBJECT ?", secrets, pending.Username, host, AsText(tls[0][1]), AsText(tls[0][2]), AsText(tls[0][3])).ConfigureAwait(false);
                break;
        }

        // Last, the password: once the pending user can log in, setSecret's first check finds it done.
        await ExecAsync(step, c, "ALTER USER ?@? IDENTIFIED BY ?", secrets, pending.Username, host, pending.Password).ConfigureAwait(false);
    }

    /// <summary>mysql.user's ssl columns are text in MariaDB and enum/blob in MySQL.</summary>
    private static string AsText(object? value) => value switch
    {
        null => string.Empty,
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
