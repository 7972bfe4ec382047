namespace Strongroom.Core.Events;

/// <summary>How many outbox entries wait for delivery and how many are dead-lettered, for the metrics.</summary>
public sealed record OutboxCounts(long Pending, long Dead);
