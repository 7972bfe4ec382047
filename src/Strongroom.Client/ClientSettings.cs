namespace Strongroom.Client;

/// <summary>
/// What a client needs to call Strongroom: where, in which region, as whom: fixed <see cref="Credentials"/>, or
/// (when null) the role of <see cref="WebIdentity"/>, assumed with AssumeRoleWithWebIdentity on the same endpoint.
/// </summary>
public sealed record ClientSettings(Uri Endpoint, string Region, AwsCredentials? Credentials, WebIdentitySettings? WebIdentity = null)
{
    /// <summary>A client signing with these settings' credentials (web identity ones are fetched and renewed through <paramref name="http"/>).</summary>
    public AwsJsonClient CreateJsonClient(HttpClient http, TimeProvider? time = null) =>
        Credentials is not null ? new AwsJsonClient(http, Endpoint, Region, Credentials, time)
        : WebIdentity is not null ? new AwsJsonClient(http, Endpoint, Region, new WebIdentityCredentials(http, Endpoint, WebIdentity, time), time)
        : throw new ClientConfigurationException("No credentials: neither an access key nor a web identity role is configured.");
}
