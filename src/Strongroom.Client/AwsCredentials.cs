namespace Strongroom.Client;

/// <summary>
/// An access key pair, with the session token of temporary credentials. <see cref="ToString"/> never shows the
/// secret or the token, so credentials can't leak through logs or exception messages.
/// </summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId}, SessionToken = {(SessionToken is null ? "none" : "present")} }}";
}
