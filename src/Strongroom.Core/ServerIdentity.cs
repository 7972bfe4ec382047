namespace Strongroom.Core;

/// <summary>Facts about this installation that every use case needs. Immutable.</summary>
public sealed record ServerIdentity(string AccountId, string DefaultRegion)
{
    /// <summary>
    /// The administrator's unique principal id (the UserId of the stored IAM user "admin"), read at start from its record
    /// under the root key (<see cref="Identity.IdentityBootstrap"/>). The administrator is recognised by this id alone,
    /// never by a name. Null only where no root key was loaded (then nobody is the administrator).
    /// </summary>
    public string? AdminUserId { get; init; }
}
