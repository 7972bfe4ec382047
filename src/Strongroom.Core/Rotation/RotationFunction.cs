namespace Strongroom.Core.Rotation;

/// <summary>How a rotation function runs.</summary>
public enum RotationFunctionKind
{
    /// <summary>A local command: the event JSON on standard input, Lambda's environment, exit status 0 is success.</summary>
    Command,

    /// <summary>An HTTP endpoint: the event POSTed as JSON, signed with an HMAC; 2xx is success.</summary>
    Http,

    /// <summary>An in-process rotator (PostgreSQL, MySQL/MariaDB, Redis ACL users; single-user or alternating-users).</summary>
    Builtin,
}

/// <summary>
/// A registered rotation function: what a secret's RotationLambdaARN
/// (arn:aws:lambda:REGION:ACCOUNT:function:NAME) names. Functions live in a region, as Lambda
/// functions do; the built-in ones exist in every region without registration.
/// </summary>
public sealed class RotationFunction
{
    /// <summary>Default per-step timeout.</summary>
    public const int DefaultTimeoutSeconds = 60;

    /// <summary>Longest per-step timeout (Lambda's limit).</summary>
    public const int MaxTimeoutSeconds = 900;

    /// <summary>Names of the built-in functions (available in every region) and the rotator kind each runs.</summary>
    public static readonly IReadOnlyDictionary<string, string> BuiltinNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["strongroom-postgresql-single-user"] = "postgresql-single-user",
        ["strongroom-postgresql-multi-user"] = "postgresql-multi-user",
        ["strongroom-mysql-single-user"] = "mysql-single-user",
        ["strongroom-mysql-multi-user"] = "mysql-multi-user",
        ["strongroom-redis-single-user"] = "redis-single-user",
        ["strongroom-redis-multi-user"] = "redis-multi-user",
    };

    /// <summary>
    /// The service principals a rotation run presents to a role's trust policy: Strongroom's runner is both the Lambda
    /// runtime (so a Lambda execution role trusting lambda.amazonaws.com works unchanged) and Secrets Manager's
    /// rotation (the built-in role trusts secretsmanager.amazonaws.com). A role that trusts neither cannot be used.
    /// </summary>
    public static readonly IReadOnlyList<string> ServicePrincipals = ["lambda.amazonaws.com", "secretsmanager.amazonaws.com"];

    /// <summary>Whether the kind runs code or opens connections chosen by the function's author (command, URL).</summary>
    public static bool IsCode(RotationFunctionKind kind) => kind is RotationFunctionKind.Command or RotationFunctionKind.Http;

    /// <summary>The rotator kinds a Builtin function may name.</summary>
    public static readonly IReadOnlySet<string> BuiltinKinds = new HashSet<string>(BuiltinNames.Values, StringComparer.Ordinal);

    public required string Region { get; set; }

    public required string Name { get; set; }

    /// <summary>arn:aws:lambda:REGION:ACCOUNT:function:NAME.</summary>
    public required string Arn { get; set; }

    public RotationFunctionKind Kind { get; set; }

    /// <summary>Kind Command: the command line, run by /bin/sh -c.</summary>
    public string? Command { get; set; }

    /// <summary>Kind Http: where the event is POSTed.</summary>
    public string? Url { get; set; }

    /// <summary>Kind Builtin: one of <see cref="BuiltinKinds"/>.</summary>
    public string? Builtin { get; set; }

    /// <summary>Extra environment variables for a command function (stored encrypted under the root key).</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    public int TimeoutSeconds { get; set; } = DefaultTimeoutSeconds;

    /// <summary>The IAM role whose session credentials the function gets; null: the built-in role strongroom-rotation.</summary>
    public string? RoleArn { get; set; }

    public string? Description { get; set; }

    public DateTimeOffset CreatedDate { get; set; }

    public DateTimeOffset LastModified { get; set; }

    public static string ArnOf(string region, string accountId, string name) => $"arn:aws:lambda:{region}:{accountId}:function:{name}";
}

/// <summary>Looks up the function a RotationLambdaARN names (registered ones and the built-ins).</summary>
public interface IRotationFunctions
{
    /// <summary>The function an ARN (or bare name) names in <paramref name="region"/>, or null.</summary>
    Task<RotationFunction?> ResolveAsync(string region, string lambdaArnOrName, CancellationToken ct);

    /// <summary>The HMAC key an HTTP function's requests are signed with (null for other kinds). Caller zeroes it.</summary>
    Task<byte[]?> GetHmacKeyAsync(RotationFunction function, CancellationToken ct);
}
