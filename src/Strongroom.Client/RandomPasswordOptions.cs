namespace Strongroom.Client;

/// <summary>GetRandomPassword's inputs; null members are left to the service's defaults.</summary>
public sealed record RandomPasswordOptions(
    string? ExcludeCharacters = null,
    long? PasswordLength = null,
    bool? ExcludeNumbers = null,
    bool? ExcludePunctuation = null,
    bool? ExcludeUppercase = null,
    bool? ExcludeLowercase = null,
    bool? IncludeSpace = null,
    bool? RequireEachIncludedType = null);
