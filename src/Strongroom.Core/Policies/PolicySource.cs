namespace Strongroom.Core.Policies;

/// <summary>
/// Where a policy comes from, carried by <see cref="NamedPolicy"/> so a decision tells an identity-based deny from a
/// resource-based one by type, never by the policy's display name.
/// </summary>
public enum PolicySource
{
    /// <summary>Attached to the caller (user, group, role: inline or managed).</summary>
    Identity = 0,

    /// <summary>Attached to the resource (a secret's resource policy, a key policy, a role's trust policy).</summary>
    Resource = 1,

    /// <summary>Passed with a session (AssumeRole's Policy), narrowing the identity policies.</summary>
    Session = 2,
}
