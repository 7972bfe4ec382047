using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strongroom.Rotation.Builtin;

/// <summary>
/// A database secret in AWS's JSON shape (engine, host, port, username, password, dbname, masterarn, ssl).
/// Keeps the whole JSON object so fields it does not know survive a rotation, as AWS's templates do.
/// <see cref="ToString"/> never shows the password.
/// </summary>
internal sealed class DatabaseSecret
{
    private readonly JsonObject json;

    private DatabaseSecret(JsonObject json, string engine, string host, int? port, string username, string password)
    {
        this.json = json;
        Engine = engine;
        Host = host;
        Port = port;
        Username = username;
        Password = password;
    }

    public string Engine { get; }

    public string Host { get; }

    /// <summary>The port in the secret, or null when it has none (the engine's default applies).</summary>
    public int? Port { get; }

    public string Username { get; }

    public string Password { get; }

    public string? DbName => json["dbname"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    public string? MasterArn => json["masterarn"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>AWS's ssl key: null when absent or not understood (try TLS, fall back), else true or false.</summary>
    public bool? Ssl
    {
        get
        {
            if (json["ssl"] is not JsonValue v)
            {
                return null;
            }

            if (v.TryGetValue(out bool b))
            {
                return b;
            }

            if (v.TryGetValue(out string? s))
            {
                if (string.Equals(s, "true", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }

                if (string.Equals(s, "false", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }

            return null;
        }
    }

    /// <summary>Parses a secret string; the error message names the secret and stage, never the value.</summary>
    public static DatabaseSecret Parse(string? secretString, string what, IReadOnlyCollection<string> engines)
    {
        if (secretString is null)
        {
            throw new RotationStepException($"{what} has no SecretString");
        }

        JsonObject? obj;
        try
        {
            obj = JsonNode.Parse(secretString) as JsonObject;
        }
        catch (JsonException)
        {
            // The parser's message can quote part of the text, which is secret: say only that it is not JSON.
            throw new RotationStepException($"{what} is not a JSON object");
        }

        if (obj is null)
        {
            throw new RotationStepException($"{what} is not a JSON object");
        }

        string engine = RequiredString(obj, "engine", what);
        if (!engines.Contains(engine))
        {
            throw new RotationStepException($"{what}: engine must be one of {string.Join(", ", engines)} for this rotator, not '{engine}'");
        }

        string host = RequiredString(obj, "host", what);
        string username = RequiredString(obj, "username", what);
        string password = RequiredString(obj, "password", what);
        return new DatabaseSecret(obj, engine, host, ParsePort(obj["port"], what), username, password);
    }

    public DatabaseSecret With(string username, string password)
    {
        var copy = (JsonObject)json.DeepClone();
        copy["username"] = username;
        copy["password"] = password;
        return new DatabaseSecret(copy, Engine, Host, Port, username, password);
    }

    /// <summary>The same endpoint and credentials, for another database (or the server's default when null).</summary>
    public DatabaseSecret WithDbName(string? dbName)
    {
        var copy = (JsonObject)json.DeepClone();
        if (dbName is null)
        {
            copy.Remove("dbname");
        }
        else
        {
            copy["dbname"] = dbName;
        }

        return new DatabaseSecret(copy, Engine, Host, Port, Username, Password);
    }

    public string ToJson() => json.ToJsonString();

    public override string ToString() => $"{Engine}://{Username}@{Host}:{Port?.ToString(CultureInfo.InvariantCulture) ?? "default"}";

    private static string RequiredString(JsonObject obj, string key, string what)
    {
        if (obj[key] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0)
        {
            return s;
        }

        throw new RotationStepException($"{what}: the '{key}' key is missing from the secret JSON or is not a non-empty string");
    }

    private static int? ParsePort(JsonNode? node, string what)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v)
        {
            if (v.TryGetValue(out int i) && i is > 0 and < 65536)
            {
                return i;
            }

            if (v.TryGetValue(out string? s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and < 65536)
            {
                return p;
            }
        }

        throw new RotationStepException($"{what}: 'port' must be a port number (a number or a string of digits)");
    }
}
