using System.Data.Common;
using Npgsql;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// AWS's SecretsManagerRDSPostgreSQLRotationMultiUser (alternating users X and X_clone, changed by the master
/// user), with its known faults fixed: AWS only runs GRANT X TO X_clone, so objects either user creates belong to
/// that user alone and grants made to X later reach X_clone only through inheritance, never the other way.
/// Here both login users share one NOLOGIN group role &lt;X&gt;_group that owns the objects and holds the grants:
/// both are members of it, both log in with it as their session role (ALTER ROLE ... SET role), X's objects in the
/// secret's database are reassigned to it, and X's privileges there and role memberships are copied to it.
/// Everything runs in one transaction on the master connection, so a failed setSecret leaves nothing half done.
/// </summary>
internal sealed class PostgreSqlMultiUserRotator : PostgreSqlRotator
{
    public const string GroupSuffix = "_group";

    public override string Kind => "postgresql-multi-user";

    protected override bool MultiUser => true;

    protected override DatabaseSecret MasterFor(DatabaseSecret master, DatabaseSecret current) => master.WithDbName(DbNameOf(current));

    protected override async Task SetSecretAsync(StepContext step)
    {
        if (await MultiUserMasterLoginAsync(step).ConfigureAwait(false) is not { } login)
        {
            return;
        }

        var (conn, current, pending, master) = login;
        await using (conn.ConfigureAwait(false))
        {
            var pg = (NpgsqlConnection)conn;
            try
            {
                await using NpgsqlTransaction tx = await pg.BeginTransactionAsync(step.Ct).ConfigureAwait(false);
                await ConvergeAsync(step, pg, tx, current, pending).ConfigureAwait(false);
                await tx.CommitAsync(step.Ct).ConfigureAwait(false);
            }
            catch (NpgsqlException e)
            {
                throw Failed(step, $"setting up {pending.Username} and its group role as the master user failed", e, pending.Password, current.Password, master.Password);
            }
        }
    }

    /// <summary>Brings the two login users and their group role to the intended state; safe to run again.</summary>
    private static async Task ConvergeAsync(StepContext step, NpgsqlConnection c, NpgsqlTransaction tx, DatabaseSecret current, DatabaseSecret pending)
    {
        CancellationToken ct = step.Ct;
        string baseUser = BaseUsername(current.Username);
        string cloneUser = baseUser + CloneSuffix;
        string group = baseUser + GroupSuffix;

        if ((await QueryAsync(c, tx, "SELECT 1 FROM pg_roles WHERE rolname = $1", ct, group).ConfigureAwait(false)).Count == 0)
        {
            await ExecAsync(c, tx, $"CREATE ROLE {Ident(group)} NOLOGIN", ct).ConfigureAwait(false);
        }

        // The pending login user: created with its password, or given the new one.
        bool pendingExists = (await QueryAsync(c, tx, "SELECT 1 FROM pg_roles WHERE rolname = $1", ct, pending.Username).ConfigureAwait(false)).Count > 0;
        await SetPasswordAsync(step, c, tx, pendingExists ? "ALTER ROLE" : "CREATE ROLE", pending.Username, pending.Password, login: true).ConfigureAwait(false);

        // Copy what the base user holds to the group: role memberships, and privileges on this database, its
        // schemas, tables, views and sequences (including WITH GRANT OPTION).
        foreach (object[] row in await QueryAsync(c, tx, """
            SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
            WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) AND r.rolname NOT IN ($1, $2, $3)
            """, ct, baseUser, cloneUser, group).ConfigureAwait(false))
        {
            await ExecAsync(c, tx, $"GRANT {Ident((string)row[0])} TO {Ident(group)}", ct).ConfigureAwait(false);
        }

        foreach (object[] row in await QueryAsync(c, tx, """
            SELECT d.datname, a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a
            WHERE d.datname = current_database() AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
            """, ct, baseUser).ConfigureAwait(false))
        {
            await ExecAsync(c, tx, $"GRANT {row[1]} ON DATABASE {Ident((string)row[0])} TO {Ident(group)}{GrantOption(row[2])}", ct).ConfigureAwait(false);
        }

        foreach (object[] row in await QueryAsync(c, tx, """
            SELECT n.nspname, a.privilege_type, a.is_grantable FROM pg_namespace n, aclexplode(n.nspacl) a
            WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
            """, ct, baseUser).ConfigureAwait(false))
        {
            await ExecAsync(c, tx, $"GRANT {row[1]} ON SCHEMA {Ident((string)row[0])} TO {Ident(group)}{GrantOption(row[2])}", ct).ConfigureAwait(false);
        }

        foreach (object[] row in await QueryAsync(c, tx, """
            SELECT n.nspname, c.relname, c.relkind = 'S', a.privilege_type, a.is_grantable
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
            """, ct, baseUser).ConfigureAwait(false))
        {
            string kind = (bool)row[2] ? "SEQUENCE" : "TABLE";
            await ExecAsync(c, tx, $"GRANT {row[3]} ON {kind} {Ident((string)row[0])}.{Ident((string)row[1])} TO {Ident(group)}{GrantOption(row[4])}", ct).ConfigureAwait(false);
        }

        // Objects either login user owns in this database become the group's (REASSIGN OWNED is per database).
        foreach (string user in new[] { baseUser, cloneUser })
        {
            if ((await QueryAsync(c, tx, "SELECT 1 FROM pg_roles WHERE rolname = $1", ct, user).ConfigureAwait(false)).Count > 0)
            {
                await ExecAsync(c, tx, $"GRANT {Ident(group)} TO {Ident(user)}", ct).ConfigureAwait(false);
                await ExecAsync(c, tx, $"REASSIGN OWNED BY {Ident(user)} TO {Ident(group)}", ct).ConfigureAwait(false);
                await ExecAsync(c, tx, $"ALTER ROLE {Ident(user)} SET role = {Ident(group)}", ct).ConfigureAwait(false);
            }
        }
    }

    private static string GrantOption(object isGrantable) => isGrantable is true ? " WITH GRANT OPTION" : string.Empty;
}
