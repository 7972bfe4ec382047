namespace Strongroom.Client;

/// <summary>An error answer from the service: AWS's code (without any "prefix#"), its message, HTTP status and request id.</summary>
public sealed class AwsServiceException : Exception
{
    public AwsServiceException()
        : this("Unknown", "The service answered with an error.", 0, null)
    {
    }

    public AwsServiceException(string message)
        : this("Unknown", message, 0, null)
    {
    }

    public AwsServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "Unknown";
    }

    public AwsServiceException(string code, string message, int httpStatus, string? requestId)
        : base(message)
    {
        Code = code;
        HttpStatus = httpStatus;
        RequestId = requestId;
    }

    public string Code { get; }

    public int HttpStatus { get; }

    public string? RequestId { get; }
}
