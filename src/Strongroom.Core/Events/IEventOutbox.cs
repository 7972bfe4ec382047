using Strongroom.Core.Storage;

namespace Strongroom.Core.Events;

/// <summary>
/// The port through which use cases hand <see cref="ServiceEvent"/>s to the event outbox (implemented by the host,
/// which knows the webhook endpoints and their filters; Core knows nothing of HTTP). Delivery happens later, from the
/// store, at least once.
/// </summary>
public interface IEventOutbox
{
    /// <summary>
    /// Records <paramref name="serviceEvent"/> inside <paramref name="tx"/>, the transaction of the change it describes:
    /// the event is stored if and only if the change commits. Every event is stored this way, rotation runs' and
    /// parameter policy actions' included (ADR 0028).
    /// </summary>
    Task AddAsync(IStoreTransaction tx, ServiceEvent serviceEvent, CancellationToken ct);
}
