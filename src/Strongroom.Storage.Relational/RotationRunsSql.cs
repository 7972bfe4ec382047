using System.Data.Common;
using Strongroom.Core.Rotation;

namespace Strongroom.Storage.Relational;

/// <summary>Rotation runs: one row per attempt, at most one Running per secret (checked by the insert, inside the write transaction).</summary>
internal static class RotationRunsSql
{
    private const string Columns = "run_id, secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node, output";

    private static RotationRun Read(DbDataReader r) => new()
    {
        RunId = r.GetInt64(0),
        SecretArn = r.GetString(1),
        Region = r.GetString(2),
        VersionId = r.GetString(3),
        FunctionArn = r.GetStringOrNull(4),
        Trigger = r.GetString(5),
        Attempt = checked((int)r.GetInt64(6)),
        StepReached = r.GetStringOrNull(7),
        Outcome = r.GetString(8),
        Error = r.GetStringOrNull(9),
        StartedDate = r.GetMs(10),
        FinishedDate = r.GetMsOrNull(11),
        RetryAt = r.GetMsOrNull(12),
        Node = r.GetStringOrNull(13),
        Output = r.GetStringOrNull(14),
    };

    /// <summary>The run's columns after run_id, from <c>$1</c>.</summary>
    private static Statement BindRun(Statement statement, RotationRun run) =>
        statement.Text(run.SecretArn).Text(run.Region).Text(run.VersionId).Text(run.FunctionArn).Text(run.Trigger).Int64(run.Attempt)
            .Text(run.StepReached).Text(run.Outcome).Text(run.Error).Ms(run.StartedDate).Ms(run.FinishedDate).Ms(run.RetryAt).Text(run.Node).Text(run.Output);

    /// <summary>Records the run and sets its RunId, unless a run of the same secret is still Running: then returns false. Call inside a write transaction.</summary>
    public static async ValueTask<bool> InsertAsync(RelationalAccess a, RotationRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (await a.Sql("SELECT 1 FROM rotation_runs WHERE secret_arn = $1 AND outcome = 'Running' LIMIT 1").Text(run.SecretArn).ScalarAsync(ct) is not null)
        {
            return false;
        }

        var insert = a.Sql(
            "INSERT INTO rotation_runs (secret_arn, region, version_id, function_arn, trigger, attempt, step, outcome, error, started_ms, finished_ms, retry_ms, node, output) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING run_id");
        run.RunId = (long)(await BindRun(insert, run).ScalarAsync(ct))!;
        return true;
    }

    public static async ValueTask UpdateAsync(RelationalAccess a, RotationRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var update = a.Sql(
            "UPDATE rotation_runs SET secret_arn = $1, region = $2, version_id = $3, function_arn = $4, trigger = $5, attempt = $6, step = $7, outcome = $8, error = $9, " +
            "started_ms = $10, finished_ms = $11, retry_ms = $12, node = $13, output = $14 WHERE run_id = $15");
        await BindRun(update, run).Int64(run.RunId).ExecuteAsync(ct);
    }

    public static async ValueTask<IReadOnlyList<RotationRun>> ListAsync(RelationalAccess a, string? secretArn, long? beforeRunId, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM rotation_runs WHERE ($1 IS NULL OR secret_arn = $1) AND ($2 IS NULL OR run_id < $2) ORDER BY run_id DESC LIMIT $3")
            .Text(secretArn).Int64(beforeRunId).Int64(limit).ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<RotationRun>> RunningAsync(RelationalAccess a, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM rotation_runs WHERE outcome = 'Running' ORDER BY run_id").ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<RotationRun>> RetriesDueAsync(RelationalAccess a, DateTimeOffset now, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM rotation_runs WHERE retry_ms IS NOT NULL AND retry_ms <= $1 ORDER BY retry_ms LIMIT $2").Ms(now).Int64(limit).ListAsync(Read, ct);
}
