namespace Strongroom.Core.Secrets;

public sealed record SecretTag(string Key, string Value);
