using System.Collections.Frozen;

namespace Strongroom.Protocol.Aws;

/// <summary>
/// Which top-level input members each operation has, and which of them are sensitive: botocore's models for the AWS
/// services (<c>WireMembers.Generated.cs</c>, written by tools/gen-wire-members.py) and Strongroom's own admin API
/// below. The audit record copies only an operation's own, non-sensitive members (docs/adr/0013). Immutable.
/// </summary>
public static partial class WireMembers
{
    /// <summary>Strongroom's admin API ("Strongroom.*"): a function's environment and HMAC key may hold credentials.</summary>
    private static readonly Dictionary<string, string> Own = new(StringComparer.Ordinal)
    {
        ["strongroom:CreateRotationFunction"] = "Name Kind Builtin Url Command Environment* HmacKey* TimeoutSeconds RoleArn Description",
        ["strongroom:UpdateRotationFunction"] = "Name Kind Builtin Url Command Environment* HmacKey* TimeoutSeconds RoleArn Description",
        ["strongroom:DeleteRotationFunction"] = "Name",
        ["strongroom:GetRotationFunction"] = "Name",
        ["strongroom:ListRotationFunctions"] = "MaxResults NextToken",
        ["strongroom:ListRotationRuns"] = "SecretId MaxResults NextToken",
        ["strongroom:ListRotationStatus"] = "SecretId",
        ["strongroom:ExplainAccess"] = "UserName RoleName Action Resource Context",
        ["strongroom:WatchSecrets"] = "Secrets WaitTimeSeconds",
        ["strongroom:ListEvents"] = "Dead MaxResults",
        ["strongroom:RedeliverEvent"] = "EventId",
    };

    /// <summary>Every "service:Operation" the models and the admin API name (the actions IAM policies can name for them).</summary>
    public static IEnumerable<string> Actions => Built.Table.Keys;

    /// <summary>The operation's top-level members, each with whether it is sensitive; null for an operation no model names.</summary>
    public static FrozenDictionary<string, bool>? Of(string service, string operation) =>
        Built.Table.GetValueOrDefault(service + ":" + operation);

    /// <summary>
    /// Built on first use, after both halves of the partial class are initialised (field initialisers of a partial
    /// class in two files run in no defined order).
    /// </summary>
    private static class Built
    {
        public static readonly FrozenDictionary<string, FrozenDictionary<string, bool>> Table = Model.Concat(Own).ToFrozenDictionary(
            pair => pair.Key,
            pair => pair.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToFrozenDictionary(m => m.TrimEnd('*'), m => m.EndsWith('*'), StringComparer.Ordinal),
            StringComparer.Ordinal);
    }
}
