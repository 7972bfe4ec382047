namespace Strongroom.Core;

/// <summary>Facts about this installation that every use case needs. Immutable.</summary>
public sealed record ServerIdentity(string AccountId, string DefaultRegion);
