using Strongroom.Core.Storage;

namespace Strongroom.Core.Events;

/// <summary>The outbox of a process with no webhook endpoints (and of unit tests): events go nowhere.</summary>
public sealed class NoEventOutbox : IEventOutbox
{
    public static readonly NoEventOutbox Instance = new();

    public Task AddAsync(IStoreTransaction tx, ServiceEvent serviceEvent, CancellationToken ct) => Task.CompletedTask;
}
