namespace Strongroom.Client;

/// <summary>
/// Web identity in the credential chain, as the AWS SDKs read it: the role to assume and the file holding the
/// identity token (a Kubernetes projected service-account token, a CI job's OIDC token), re-read at every refresh
/// because such tokens are rotated on disk. From AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_SESSION_NAME,
/// or a profile's role_arn, web_identity_token_file and role_session_name. <see cref="ToString"/> names no token.
/// </summary>
public sealed record WebIdentitySettings(string RoleArn, string TokenFile, string? SessionName = null);
