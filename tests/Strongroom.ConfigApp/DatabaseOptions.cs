namespace Strongroom.ConfigApp;

/// <summary>The database secret's JSON members (host, port, username, password, dbname), bound from section Database.</summary>
public sealed class DatabaseOptions
{
    public string Host { get; set; } = string.Empty;

    public int Port { get; set; }

    public string Username { get; set; } = string.Empty;

    public string Password { get; set; } = string.Empty;

    public string Dbname { get; set; } = string.Empty;
}
