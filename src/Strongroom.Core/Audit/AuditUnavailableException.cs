namespace Strongroom.Core.Audit;

/// <summary>The trail could not be written; the call must fail rather than go unrecorded.</summary>
public sealed class AuditUnavailableException : Exception
{
    public AuditUnavailableException()
        : base("The audit trail cannot be written.")
    {
    }

    public AuditUnavailableException(string message)
        : base(message)
    {
    }

    public AuditUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
