using Strongroom.Core.Errors;

namespace Strongroom.Protocol.Aws;

/// <summary>The one place where domain errors become AWS errors.</summary>
public static class AwsErrorMapper
{
    public static AwsError Map(Exception exception) => exception switch
    {
        AwsError aws => aws,
        Core.Storage.StoreUnavailableException => new AwsError("ServiceUnavailable", "The service cannot reach its database at the moment. Try again later.", 503),
        // The row is named in the audit trail and the server's log, not to the caller.
        Core.Storage.RecordIntegrityException => new AwsError("InternalServiceError", "A stored record this request needs failed its integrity check and was refused.", 500),
        DomainException domain => new AwsError(domain.Code ?? ErrorCodes.For(domain.Kind), domain.Message, domain.Kind == ErrorKind.InternalFailure ? 500 : domain.Code is null ? 400 : domain.Status),
        _ => new AwsError("InternalServiceError", "An error occurred on the server side.", 500),
    };
}
