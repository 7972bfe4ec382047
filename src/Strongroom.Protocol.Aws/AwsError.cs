namespace Strongroom.Protocol.Aws;

/// <summary>An error in AWS's wire shape: code (<c>__type</c>), message and HTTP status.</summary>
public sealed class AwsError : Exception
{
    public AwsError()
        : this("InternalFailure", "An internal error occurred.", 500)
    {
    }

    public AwsError(string message)
        : this("InternalFailure", message, 500)
    {
    }

    public AwsError(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "InternalFailure";
        Status = 500;
    }

    public AwsError(string code, string message, int status = 400)
        : base(message)
    {
        Code = code;
        Status = status;
    }

    public string Code { get; }

    public int Status { get; }
}
