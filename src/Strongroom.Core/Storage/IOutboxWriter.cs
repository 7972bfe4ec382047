namespace Strongroom.Core.Storage;

/// <summary>Events added to the outbox inside the unit of work of the change they describe.</summary>
public interface IOutboxWriter
{
    /// <summary>Adds an event to the outbox (one row per event and endpoint); the pair is unique.</summary>
    Task InsertOutboxEntryAsync(Events.OutboxEntry entry, CancellationToken cancellationToken);
}
