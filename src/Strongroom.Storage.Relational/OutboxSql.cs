using System.Data.Common;
using Strongroom.Core.Events;

namespace Strongroom.Storage.Relational;

/// <summary>The event outbox: one row per event and webhook endpoint, keyed by both.</summary>
internal static class OutboxSql
{
    private const string Columns = "event_id, endpoint, detail_type, body, created_ms, deadline_ms, attempts, next_ms, state, last_error, delivered_ms";

    private static OutboxEntry Read(DbDataReader r) => new()
    {
        EventId = r.GetString(0),
        Endpoint = r.GetString(1),
        DetailType = r.GetString(2),
        Body = r.GetString(3),
        CreatedDate = r.GetMs(4),
        Deadline = r.GetMs(5),
        Attempts = checked((int)r.GetInt64(6)),
        NextAttempt = r.GetMs(7),
        State = r.GetString(8),
        LastError = r.GetStringOrNull(9),
        DeliveredDate = r.GetMsOrNull(10),
    };

    public static async ValueTask InsertAsync(RelationalAccess a, OutboxEntry e, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(e);
        await a.Sql($"INSERT INTO event_outbox ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .Text(e.EventId).Text(e.Endpoint).Text(e.DetailType).Text(e.Body).Ms(e.CreatedDate).Ms(e.Deadline).Int64(e.Attempts)
            .Ms(e.NextAttempt).Text(e.State).Text(e.LastError).Ms(e.DeliveredDate).ExecuteAsync(ct);
    }

    public static async ValueTask UpdateAsync(RelationalAccess a, OutboxEntry e, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(e);
        await a.Sql("UPDATE event_outbox SET deadline_ms = $1, attempts = $2, next_ms = $3, state = $4, last_error = $5, delivered_ms = $6 WHERE event_id = $7 AND endpoint = $8")
            .Ms(e.Deadline).Int64(e.Attempts).Ms(e.NextAttempt).Text(e.State).Text(e.LastError).Ms(e.DeliveredDate).Text(e.EventId).Text(e.Endpoint).ExecuteAsync(ct);
    }

    public static async ValueTask<IReadOnlyList<OutboxEntry>> DueAsync(RelationalAccess a, DateTimeOffset now, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM event_outbox WHERE state = 'pending' AND next_ms <= $1 ORDER BY next_ms, event_id LIMIT $2")
            .Ms(now).Int64(limit).ListAsync(Read, ct);

    public static async ValueTask<IReadOnlyList<OutboxEntry>> ListAsync(RelationalAccess a, string? state, int limit, CancellationToken ct) =>
        await a.Sql($"SELECT {Columns} FROM event_outbox WHERE ($1 IS NULL OR state = $1) ORDER BY created_ms DESC, event_id, endpoint LIMIT $2")
            .Text(state).Int64(limit).ListAsync(Read, ct);

    public static async ValueTask<int> RedeliverAsync(RelationalAccess a, string eventId, DateTimeOffset now, DateTimeOffset deadline, CancellationToken ct) =>
        await a.Sql("UPDATE event_outbox SET state = 'pending', attempts = 0, next_ms = $1, deadline_ms = $2, delivered_ms = NULL WHERE event_id = $3")
            .Ms(now).Ms(deadline).Text(eventId).ExecuteAsync(ct);

    public static async ValueTask PruneAsync(RelationalAccess a, DateTimeOffset before, CancellationToken ct) =>
        await a.Sql("DELETE FROM event_outbox WHERE state = 'delivered' AND delivered_ms < $1").Ms(before).ExecuteAsync(ct);

    public static async ValueTask<OutboxCounts> CountAsync(RelationalAccess a, CancellationToken ct)
    {
        var pending = await a.Sql("SELECT COUNT(*) FROM event_outbox WHERE state = 'pending'").Int64ScalarAsync(ct);
        var dead = await a.Sql("SELECT COUNT(*) FROM event_outbox WHERE state = 'dead'").Int64ScalarAsync(ct);
        return new OutboxCounts(pending, dead);
    }
}
