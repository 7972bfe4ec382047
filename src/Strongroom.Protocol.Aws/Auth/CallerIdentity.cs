namespace Strongroom.Protocol.Aws.Auth;

/// <summary>Who made a verified request, and the region and service of its credential scope.</summary>
/// <param name="Temporary">True for temporary credentials (an ASIA key with its session token).</param>
public sealed record CallerIdentity(string AccessKeyId, string PrincipalArn, string UserName, string Region, string Service, bool Temporary = false);
