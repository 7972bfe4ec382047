namespace Strongroom.Client;

/// <summary>What a client needs to call Strongroom: where, in which region, as whom.</summary>
public sealed record ClientSettings(Uri Endpoint, string Region, AwsCredentials Credentials);
