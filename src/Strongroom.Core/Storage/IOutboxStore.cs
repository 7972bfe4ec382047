namespace Strongroom.Core.Storage;

/// <summary>Delivery state of the event outbox, outside any transaction.</summary>
public interface IOutboxStore
{
    /// <summary>Pending outbox entries whose next attempt is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<Events.OutboxEntry>> FindOutboxDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Writes an entry's delivery state (attempts, next attempt, state, error, delivery date, deadline).</summary>
    Task UpdateOutboxEntryAsync(Events.OutboxEntry entry, CancellationToken cancellationToken);

    /// <summary>Outbox entries (in one <paramref name="state"/>, or every state when null), newest first.</summary>
    Task<IReadOnlyList<Events.OutboxEntry>> ListOutboxAsync(string? state, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Makes every entry of <paramref name="eventId"/> pending again, due at <paramref name="now"/> with no attempts and
    /// a new <paramref name="deadline"/>. Returns how many entries it changed (0: no such event).
    /// </summary>
    Task<int> RedeliverOutboxAsync(string eventId, DateTimeOffset now, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Deletes delivered entries delivered before <paramref name="before"/>.</summary>
    Task PruneOutboxAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Pending and dead-lettered entries, counted.</summary>
    Task<Events.OutboxCounts> CountOutboxAsync(CancellationToken cancellationToken);
}
