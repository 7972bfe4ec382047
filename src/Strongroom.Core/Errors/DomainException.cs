namespace Strongroom.Core.Errors;

/// <summary>
/// A failure the caller caused or must be told about. The message is shown to the client as is, so it
/// never contains secret values or key material.
/// </summary>
public sealed class DomainException : Exception
{
    public DomainException()
        : this(ErrorKind.InternalFailure, "An internal error occurred.")
    {
    }

    public DomainException(string message)
        : this(ErrorKind.InternalFailure, message)
    {
    }

    public DomainException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = ErrorKind.InternalFailure;
    }

    public DomainException(ErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    public ErrorKind Kind { get; }

    /// <summary>A service-specific AWS error code (Parameter Store's ParameterNotFound, …) when no shared kind fits.</summary>
    public string? Code { get; private init; }

    /// <summary>HTTP status for <see cref="Code"/> errors (IAM answers 404 for NoSuchEntity, 409 for conflicts).</summary>
    public int Status { get; private init; } = 400;

    /// <summary>An error with its own AWS code.</summary>
    public static DomainException WithCode(string code, string message, int status = 400) => new(ErrorKind.InvalidParameter, message) { Code = code, Status = status };

    public static DomainException SecretNotFound() =>
        new(ErrorKind.ResourceNotFound, "Secrets Manager can't find the specified secret.");

    public static DomainException MarkedForDeletion() =>
        new(ErrorKind.InvalidRequest, "You can't perform this operation on the secret because it was marked for deletion.");

    public static DomainException InvalidParameter(string message) => new(ErrorKind.InvalidParameter, message);

    public static DomainException InvalidRequest(string message) => new(ErrorKind.InvalidRequest, message);

    /// <summary>The framework-level constraint error, in AWS's wording.</summary>
    public static DomainException Constraint(string member, string value, string constraint) =>
        new(ErrorKind.Validation, $"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}");
}
