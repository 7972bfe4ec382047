namespace Strongroom.Core.Events;

/// <summary>
/// One event waiting for (or done with) delivery to one webhook endpoint: a row of the store's outbox. The body is the
/// exact JSON posted (and signed), fixed when the event was recorded, so every attempt sends the same bytes.
/// </summary>
public sealed class OutboxEntry
{
    /// <summary>The event's id (a UUID, also the body's <c>id</c>): receivers de-duplicate on it.</summary>
    public required string EventId { get; init; }

    /// <summary>The endpoint's name (from the configuration; the URL when it has none).</summary>
    public required string Endpoint { get; init; }

    public required string DetailType { get; init; }

    public required string Body { get; init; }

    public required DateTimeOffset CreatedDate { get; init; }

    /// <summary>After this the entry is dead-lettered instead of retried.</summary>
    public DateTimeOffset Deadline { get; set; }

    public int Attempts { get; set; }

    /// <summary>When the next attempt is due (pending entries).</summary>
    public DateTimeOffset NextAttempt { get; set; }

    /// <summary>One of <see cref="OutboxStates"/>.</summary>
    public string State { get; set; } = OutboxStates.Pending;

    /// <summary>Why the last attempt failed (an HTTP status or an exception type, never a response body).</summary>
    public string? LastError { get; set; }

    public DateTimeOffset? DeliveredDate { get; set; }
}
