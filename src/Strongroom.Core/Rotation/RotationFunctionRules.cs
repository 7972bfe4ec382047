using System.Text.RegularExpressions;
using Strongroom.Core.Errors;

namespace Strongroom.Core.Rotation;

/// <summary>
/// The rules a rotation function must meet before <see cref="RotationFunctionRegistry"/> stores it (moved out of the
/// registry): its name, exactly one of command, URL and built-in, timeouts, environment keys, role, and that only the
/// administrator defines code. Messages name keys, never values. Pure and thread-safe.
/// </summary>
internal static partial class RotationFunctionRules
{
    [GeneratedRegex("^[a-zA-Z0-9-_]{1,64}$")]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_]*$")]
    private static partial Regex EnvironmentKeyPattern();

    [GeneratedRegex("^arn:aws:iam::([0-9]{12}):role/(?:[\\x21-\\x7e]*/)?[\\w+=,.@-]{1,64}$")]
    private static partial Regex RoleArnPattern();

    private static DomainException Invalid(string message) => DomainException.InvalidParameter(message);

    internal static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw DomainException.Constraint("name", name, "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64}");
        }

        if (RotationFunction.BuiltinNames.ContainsKey(name))
        {
            throw Invalid($"{name} is the name of a built-in rotation function; choose another name.");
        }
    }

    /// <summary>Checks a complete function (after an update is applied). Messages name keys, never values.</summary>
    internal static void Validate(RotationFunction f, string accountId)
    {
        var kinds = (f.Command is null ? 0 : 1) + (f.Url is null ? 0 : 1) + (f.Builtin is null ? 0 : 1);
        if (kinds != 1)
        {
            throw Invalid("Specify exactly one of Command, Url and Builtin.");
        }

        if (f.Command is not null && string.IsNullOrWhiteSpace(f.Command))
        {
            throw Invalid("Command must not be empty.");
        }

        if (f.Url is not null && (!Uri.TryCreate(f.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw Invalid("Url must be an absolute http:// or https:// URL.");
        }

        if (f.Builtin is not null && !RotationFunction.BuiltinKinds.Contains(f.Builtin))
        {
            throw Invalid($"Builtin must be one of: {string.Join(", ", RotationFunction.BuiltinKinds.Order(StringComparer.Ordinal))}.");
        }

        if (f.TimeoutSeconds is < 1 or > RotationFunction.MaxTimeoutSeconds)
        {
            throw Invalid($"TimeoutSeconds must be between 1 and {RotationFunction.MaxTimeoutSeconds}.");
        }

        foreach (var key in f.Environment.Keys)
        {
            if (!EnvironmentKeyPattern().IsMatch(key))
            {
                throw Invalid($"Environment variable name '{key}' is invalid: it must match [a-zA-Z][a-zA-Z0-9_]*.");
            }

            if (RotationFunctionRegistry.ReservedEnvironmentKeys.Contains(key))
            {
                throw Invalid($"Environment variable {key} is reserved: the runner sets it.");
            }
        }

        if (f.RoleArn is not null && (RoleArnPattern().Match(f.RoleArn) is not { Success: true } role || role.Groups[1].Value != accountId))
        {
            throw Invalid($"RoleArn must be the ARN of a role in account {accountId} (arn:aws:iam::{accountId}:role/NAME).");
        }

        if (f.Description is { Length: > 2048 })
        {
            throw DomainException.Constraint("description", f.Description[..32] + "…", "Member must have length less than or equal to 2048");
        }
    }

    internal static RotationFunctionKind KindOf(RotationFunction f) =>
        f.Command is not null ? RotationFunctionKind.Command : f.Url is not null ? RotationFunctionKind.Http : RotationFunctionKind.Builtin;

    internal static bool NamesCode(RotationFunctionInput input) => input.Command is not null || input.Url is not null;

    /// <summary>Command and URL functions are the administrator's: defining or changing one is code execution and network reach on the server.</summary>
    internal static void RequireAuthor(RotationFunctionAuthor author, bool code, string operation, string arn)
    {
        if (code && !author.MayDefineCode)
        {
            throw new DomainException(ErrorKind.AccessDenied,
                $"User: {author.PrincipalArn} is not authorized to perform: strongroom:{operation} on resource: {arn}: command and URL functions run code and open connections on the server, so only the administrator may define or change them.");
        }
    }
}
