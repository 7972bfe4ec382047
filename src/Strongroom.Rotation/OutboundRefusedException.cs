namespace Strongroom.Rotation;

/// <summary>A connection rotation was about to open is outside the operator's allow-list; the message names the host and the list.</summary>
public sealed class OutboundRefusedException : Exception
{
    public OutboundRefusedException()
    {
    }

    public OutboundRefusedException(string message)
        : base(message)
    {
    }

    public OutboundRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
