using Strongroom.Core.Policies;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Parameters;

/// <summary>
/// What an SSM Parameter Store call asks permission for: the action (ssm:Operation) on each parameter it names
/// (Name, ResourceId, Path, Names) — its ARN built from the bare name, a version or label suffix cut — with SSM's own
/// condition keys (ssm:Recursive, ssm:Overwrite, ssm:Policies) and the parameter's tags as aws:ResourceTag/…; a call
/// that names none is checked on "*". A SecureString's key and an /aws/reference/secretsmanager/ parameter's secret
/// are checked as the call reads them (<see cref="ICallerAccess"/>): only then is it known what is read. Thread-safe.
/// </summary>
public sealed class ParameterAccess : IServiceAccess
{
    private readonly IParameterReader _store;
    private readonly ServerIdentity _identity;

    public ParameterAccess(IParameterReader store, ServerIdentity identity)
    {
        _store = store;
        _identity = identity;
    }

    /// <inheritdoc/>
    public string SigningName => "ssm";

    /// <inheritdoc/>
    Task<IReadOnlyList<AccessCheck>> IServiceAccess.ChecksAsync(ServiceCall call, CancellationToken ct) => ChecksAsync(call.Caller.Region, call.Operation, call.Input, ct);

    /// <summary>The checks of <paramref name="operation"/>, in order; every one must allow.</summary>
    public async Task<IReadOnlyList<AccessCheck>> ChecksAsync(string region, string operation, IAccessInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = "ssm:" + operation;
        var names = new List<string>();
        foreach (var member in new[] { "Name", "ResourceId", "Path" })
        {
            if (input.String(member) is { } name)
            {
                names.Add(name);
            }
        }

        names.AddRange(input.Strings("Names") ?? []);
        if (names.Count == 0)
        {
            return [new AccessCheck(action, "*", null, false, new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase))];
        }

        // SSM's own condition keys, and the parameter's tags as aws:ResourceTag/….
        var ssmKeys = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (operation == "GetParametersByPath")
        {
            ssmKeys["ssm:Recursive"] = [input.IsTrue("Recursive") ? "true" : "false"];
        }

        if (operation == "PutParameter")
        {
            ssmKeys["ssm:Overwrite"] = [input.IsTrue("Overwrite") ? "true" : "false"];
            if (input.String("Policies") is { } policies)
            {
                ssmKeys["ssm:Policies"] = [policies];
            }
        }

        var checks = new List<AccessCheck>();
        foreach (var raw in names)
        {
            var bare = BareName(raw);
            var keys = new Dictionary<string, IReadOnlyList<string>>(ssmKeys, StringComparer.OrdinalIgnoreCase);
            if (await _store.FindParameterAsync(region, "/" + bare, ct) is { } parameter)
            {
                foreach (var (tagKey, tagValue) in parameter.Tags)
                {
                    keys["aws:ResourceTag/" + tagKey] = [tagValue];
                }
            }

            checks.Add(new AccessCheck(action, $"arn:aws:ssm:{region}:{_identity.AccountId}:parameter/{bare}", null, false, keys));
        }

        return checks;
    }

    /// <summary>
    /// The parameter's name without its leading slash and without a ":version" or ":label" selector. An ARN that is not
    /// a parameter's (too few parts, no "parameter/") is checked as the name it was sent as; the operation then refuses
    /// it. Slicing it blindly answered a non-admin caller 500 (issue #16).
    /// </summary>
    private static string BareName(string raw)
    {
        var parts = raw.Split(':', 6);
        var bare = !raw.StartsWith("arn:", StringComparison.Ordinal) ? raw.TrimStart('/')
            : parts.Length == 6 && parts[5].StartsWith("parameter/", StringComparison.Ordinal) ? parts[5]["parameter/".Length..]
            : raw;
        var colon = bare.LastIndexOf(':');
        return colon >= 0 ? bare[..colon] : bare;
    }
}
