namespace Strongroom.Core.Identity;

/// <summary>
/// How a temporary session's access key is told apart from a user's: the key's owner name is "session:" followed by
/// the session's own access key id (STS sessions, web identity sessions, rotation runs). The one place that knows it.
/// </summary>
public static class SessionNames
{
    private const string Prefix = "session:";

    /// <summary>The owner name recorded for a session's access key.</summary>
    public static string For(string accessKeyId) => Prefix + accessKeyId;

    /// <summary>Whether <paramref name="ownerName"/> (an access key's owner, a caller's user name) is a session's.</summary>
    public static bool IsSession(string ownerName)
    {
        ArgumentNullException.ThrowIfNull(ownerName);
        return ownerName.StartsWith(Prefix, StringComparison.Ordinal);
    }

    /// <summary>The session's access key id in a session owner name.</summary>
    public static string AccessKeyIdOf(string ownerName)
    {
        ArgumentNullException.ThrowIfNull(ownerName);
        return IsSession(ownerName) ? ownerName[Prefix.Length..] : throw new ArgumentException("not a session's owner name", nameof(ownerName));
    }
}
