namespace Strongroom.Core.Identity;

/// <summary>
/// The credentials AssumeRoleWithWebIdentity issued and what the token proved: the provider (ARN and the
/// URL-without-scheme that prefixes its condition keys), the subject and the matched audience.
/// </summary>
public sealed record WebIdentityResult(IamSession Session, IamRole Role, string Secret, string Token, string ProviderArn, string ProviderName, string Subject, string Audience);
