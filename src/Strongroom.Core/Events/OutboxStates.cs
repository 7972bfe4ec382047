namespace Strongroom.Core.Events;

/// <summary>The stored states of an <see cref="OutboxEntry"/> (persisted strings: never renamed).</summary>
public static class OutboxStates
{
    public const string Pending = "pending";

    public const string Delivered = "delivered";

    /// <summary>Retried until its deadline without an acknowledgement; delivered again only by redelivery.</summary>
    public const string Dead = "dead";
}
