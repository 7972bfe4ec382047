namespace Strongroom.Core.Kms;

public sealed record KmsAlias(string Region, string AliasName, Guid KeyId, DateTimeOffset CreatedDate, DateTimeOffset LastUpdatedDate);
