using System.Data.Common;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Storage.Relational;

/// <summary>
/// The store's reads and writes over one open connection, inside a transaction when one is given: the
/// <see cref="IStoreTransaction"/> a write's work receives, and what a read runs on. Each member hands over to the
/// aggregate's SQL class (<c>SecretsSql</c>, <c>KmsSql</c>, …), where the statement and its row mapping are written
/// once for both databases. Not thread-safe: one statement at a time (a PostgreSQL connection runs one; every reader
/// is closed before the next statement starts).
/// </summary>
public sealed class RelationalAccess : IStoreTransaction
{
    private readonly DbConnection _connection;
    private readonly DbTransaction? _transaction;
    private readonly CommandCache? _statements;

    /// <param name="statements">The connection's kept commands, or null to create each command afresh.</param>
    public RelationalAccess(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, CommandCache? statements = null)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(connection);
        Dialect = dialect;
        _connection = connection;
        _transaction = transaction;
        _statements = statements;
    }

    public SqlDialect Dialect { get; }

    /// <summary>The connection this access runs on (a store returns or closes it when a read is done).</summary>
    public DbConnection Connection => _connection;

    /// <summary>The connection's kept commands, if it has them (a store disposes them with the connection).</summary>
    internal CommandCache? Statements => _statements;

    /// <summary>A command for <paramref name="sql"/> on this connection and transaction, with no parameters; disposing it gives it back.</summary>
    internal DbCommand Command(string sql)
    {
        var command = _statements?.Rent(_connection, sql) ?? _connection.CreateCommand();
        command.Transaction = _transaction;

        // Setting the text of a kept command would drop its prepared statements.
        if (!string.Equals(command.CommandText, sql, StringComparison.Ordinal))
        {
            command.CommandText = sql;
        }

        return command;
    }

    /// <summary>A statement to bind and run once (see <see cref="Statement"/>).</summary>
    internal Statement Sql(string sql) => new(Command(sql), Dialect);

    /// <summary>A batch on this connection and transaction (databases that are not <see cref="SqlDialect.InProcess"/>).</summary>
    internal DbBatch Batch()
    {
        var batch = _connection.CreateBatch();
        batch.Transaction = _transaction;
        return batch;
    }

    // ------------------------------------------------------------ IStoreReader

    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken) => SettingsSql.GetAsync(this, key, cancellationToken).AsTask();

    public Task<SecretRecord?> FindSecretByNameAsync(string region, string name, CancellationToken cancellationToken) => SecretsSql.FindByNameAsync(this, region, name, cancellationToken).AsTask();

    public Task<SecretRecord?> FindSecretByArnAsync(string arn, CancellationToken cancellationToken) => SecretsSql.FindByArnAsync(this, arn, cancellationToken).AsTask();

    public Task<IReadOnlyList<SecretRecord>> FindSecretsByPartialArnAsync(string partialArn, CancellationToken cancellationToken) => SecretsSql.FindByPartialArnAsync(this, partialArn, cancellationToken).AsTask();

    public Task<SecretVersionRecord?> FindVersionByIdAsync(long secretId, string versionId, CancellationToken cancellationToken) => VersionsSql.FindByIdAsync(this, secretId, versionId, cancellationToken).AsTask();

    public Task<SecretVersionRecord?> FindVersionByStageAsync(long secretId, string stage, CancellationToken cancellationToken) => VersionsSql.FindByStageAsync(this, secretId, stage, cancellationToken).AsTask();

    public Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(long secretId, CancellationToken cancellationToken) => VersionsSql.ListAsync(this, secretId, cancellationToken).AsTask();

    public Task<KmsKeyRecord?> FindKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) => KmsSql.FindKeyAsync(this, keyId, cancellationToken).AsTask();

    public Task<Guid?> FindKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) => KmsSql.FindAliasAsync(this, region, aliasName, cancellationToken).AsTask();

    public Task<byte[]?> GetKmsKeyMaterialAsync(Guid keyId, uint version, CancellationToken cancellationToken) => KmsSql.GetMaterialAsync(this, keyId, version, cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsKeyRecord>> ListKmsKeysAsync(string region, Guid? afterKeyId, int limit, CancellationToken cancellationToken) =>
        KmsSql.ListKeysAsync(this, region, afterKeyId, limit, cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsAlias>> ListKmsAliasesAsync(string region, Guid? keyId, string? afterAlias, int limit, CancellationToken cancellationToken) =>
        KmsSql.ListAliasesAsync(this, region, keyId, afterAlias, limit, cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsKeyVersion>> ListKmsKeyVersionsAsync(Guid keyId, CancellationToken cancellationToken) => KmsSql.ListVersionsAsync(this, keyId, cancellationToken).AsTask();

    public Task<IReadOnlyList<KmsKeyRecord>> FindKmsKeysDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => KmsSql.DueAsync(this, now, limit, cancellationToken).AsTask();

    public Task<AccessKeyRecord?> FindAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) => IdentitySql.FindAccessKeyAsync(this, accessKeyId, cancellationToken).AsTask();

    public Task<IamEntityRow?> FindIamEntityAsync(IamEntityKind kind, string name, CancellationToken cancellationToken) => IdentitySql.FindEntityAsync(this, kind, name, cancellationToken).AsTask();

    public Task<IReadOnlyList<IamEntityRow>> ListIamEntitiesAsync(IamEntityKind? kind, CancellationToken cancellationToken) => IdentitySql.ListEntitiesAsync(this, kind, cancellationToken).AsTask();

    public Task<IReadOnlyList<AccessKeyRecord>> ListAccessKeysAsync(string userName, CancellationToken cancellationToken) => IdentitySql.ListAccessKeysAsync(this, userName, cancellationToken).AsTask();

    public Task<ParameterRecord?> FindParameterAsync(string region, string key, CancellationToken cancellationToken) => ParametersSql.FindAsync(this, region, key, cancellationToken).AsTask();

    public Task<IReadOnlyList<ParameterRecord>> ScanParametersAsync(string region, string keyPrefix, string? afterKey, int limit, CancellationToken cancellationToken) =>
        ParametersSql.ScanAsync(this, region, keyPrefix, afterKey, limit, cancellationToken).AsTask();

    public Task<IReadOnlyList<string>> ListParameterRegionsAsync(CancellationToken cancellationToken) => ParametersSql.ListRegionsAsync(this, cancellationToken).AsTask();

    public Task<IReadOnlyList<ParameterVersionRecord>> ListParameterVersionsAsync(string region, string key, CancellationToken cancellationToken) =>
        ParametersSql.ListVersionsAsync(this, region, key, cancellationToken).AsTask();

    // ------------------------------------------------------------ IStoreTransaction

    public Task SetSettingAsync(string key, string value, CancellationToken cancellationToken) => SettingsSql.SetAsync(this, key, value, cancellationToken).AsTask();

    public Task InsertSecretAsync(SecretRecord secret, CancellationToken cancellationToken) => SecretsSql.InsertAsync(this, secret, cancellationToken).AsTask();

    public Task UpdateSecretAsync(SecretRecord secret, CancellationToken cancellationToken) => SecretsSql.UpdateAsync(this, secret, cancellationToken).AsTask();

    public Task DeleteSecretAsync(long secretId, CancellationToken cancellationToken) => SecretsSql.DeleteAsync(this, secretId, cancellationToken).AsTask();

    public Task InsertVersionAsync(long secretId, SecretVersionRecord version, CancellationToken cancellationToken) => VersionsSql.InsertAsync(this, secretId, version, cancellationToken).AsTask();

    public Task UpdateVersionValueAsync(long secretId, string versionId, byte[] envelope, string kmsKeyArn, CancellationToken cancellationToken) =>
        VersionsSql.UpdateValueAsync(this, secretId, versionId, envelope, kmsKeyArn, cancellationToken).AsTask();

    public Task DeleteVersionAsync(long secretId, string versionId, CancellationToken cancellationToken) => VersionsSql.DeleteAsync(this, secretId, versionId, cancellationToken).AsTask();

    public Task ReplaceStagesAsync(long secretId, IEnumerable<KeyValuePair<string, string>> stageToVersion, CancellationToken cancellationToken) =>
        VersionsSql.ReplaceStagesAsync(this, secretId, stageToVersion, cancellationToken).AsTask();

    public Task InsertKmsKeyAsync(KmsKeyRecord key, byte[] wrappedMaterial, CancellationToken cancellationToken) => KmsSql.InsertKeyAsync(this, key, wrappedMaterial, cancellationToken).AsTask();

    public Task InsertKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        KmsSql.InsertAliasAsync(this, region, aliasName, keyId, now, cancellationToken).AsTask();

    public Task UpdateKmsKeyAsync(KmsKeyRecord key, CancellationToken cancellationToken) => KmsSql.UpdateKeyAsync(this, key, cancellationToken).AsTask();

    public Task InsertKmsKeyVersionAsync(Guid keyId, KmsKeyVersion version, byte[] wrappedMaterial, CancellationToken cancellationToken) =>
        KmsSql.InsertVersionAsync(this, keyId, version, wrappedMaterial, cancellationToken).AsTask();

    public Task UpdateKmsAliasAsync(string region, string aliasName, Guid keyId, DateTimeOffset now, CancellationToken cancellationToken) =>
        KmsSql.UpdateAliasAsync(this, region, aliasName, keyId, now, cancellationToken).AsTask();

    public Task DeleteKmsAliasAsync(string region, string aliasName, CancellationToken cancellationToken) => KmsSql.DeleteAliasAsync(this, region, aliasName, cancellationToken).AsTask();

    public Task DeleteKmsKeyAsync(Guid keyId, CancellationToken cancellationToken) => KmsSql.DeleteKeyAsync(this, keyId, cancellationToken).AsTask();

    public Task UpsertAccessKeyAsync(AccessKeyRecord accessKey, CancellationToken cancellationToken) => IdentitySql.UpsertAccessKeyAsync(this, accessKey, cancellationToken).AsTask();

    public Task PutIamEntityAsync(IamEntityRow row, CancellationToken cancellationToken) => IdentitySql.PutEntityAsync(this, row, cancellationToken).AsTask();

    public Task DeleteIamEntityAsync(IamEntityKind kind, string name, CancellationToken cancellationToken) => IdentitySql.DeleteEntityAsync(this, kind, name, cancellationToken).AsTask();

    public Task DeleteAccessKeyAsync(string accessKeyId, CancellationToken cancellationToken) => IdentitySql.DeleteAccessKeyAsync(this, accessKeyId, cancellationToken).AsTask();

    public Task UpsertParameterAsync(ParameterRecord parameter, CancellationToken cancellationToken) => ParametersSql.UpsertAsync(this, parameter, cancellationToken).AsTask();

    public Task InsertParameterVersionAsync(string region, string key, ParameterVersionRecord version, CancellationToken cancellationToken) =>
        ParametersSql.InsertVersionAsync(this, region, key, version, cancellationToken).AsTask();

    public Task DeleteParameterVersionAsync(string region, string key, long version, CancellationToken cancellationToken) =>
        ParametersSql.DeleteVersionAsync(this, region, key, version, cancellationToken).AsTask();

    public Task DeleteParameterAsync(string region, string key, CancellationToken cancellationToken) => ParametersSql.DeleteAsync(this, region, key, cancellationToken).AsTask();

    public Task<IReadOnlyList<AccessKeyRecord>> ListAllAccessKeysAsync(CancellationToken cancellationToken) => IdentitySql.ListAllAccessKeysAsync(this, cancellationToken).AsTask();

    public Task<IReadOnlyList<RootWrappedValue>> ListRootWrappedAsync(CancellationToken cancellationToken) => RootWrappedSql.ListAsync(this, cancellationToken).AsTask();

    public Task ReplaceRootWrappedAsync(RootWrappedValue value, byte[] wrapped, CancellationToken cancellationToken) => RootWrappedSql.ReplaceAsync(this, value, wrapped, cancellationToken).AsTask();

    public Task<byte[]?> GetRootWrappedAsync(string name, CancellationToken cancellationToken) => RootWrappedSql.GetAsync(this, name, cancellationToken).AsTask();

    public Task PutRootWrappedAsync(string name, byte[] wrapped, CancellationToken cancellationToken) => RootWrappedSql.PutAsync(this, name, wrapped, cancellationToken).AsTask();

    public Task InsertOutboxEntryAsync(Core.Events.OutboxEntry entry, CancellationToken cancellationToken) => OutboxSql.InsertAsync(this, entry, cancellationToken).AsTask();

    public Task<bool> InsertRotationRunAsync(Core.Rotation.RotationRun run, CancellationToken cancellationToken) => RotationRunsSql.InsertAsync(this, run, cancellationToken).AsTask();

    public Task UpdateRotationRunAsync(Core.Rotation.RotationRun run, CancellationToken cancellationToken) => RotationRunsSql.UpdateAsync(this, run, cancellationToken).AsTask();
}
