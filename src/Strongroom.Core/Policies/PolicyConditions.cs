using System.Globalization;
using System.Net;

namespace Strongroom.Core.Policies;

/// <summary>
/// IAM's condition operators: whether one Condition entry holds for a request (String*, Numeric*, Date*, Bool,
/// BinaryEquals, IpAddress, Arn*, Null; the ForAllValues/ForAnyValue set forms and IfExists). Pure and thread-safe.
/// </summary>
internal static class PolicyConditions
{
    private static readonly HashSet<string> BaseOperators = new(StringComparer.Ordinal)
    {
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    };

    public static bool IsKnownOperator(string op)
    {
        var (_, _, baseOp) = Split(op);
        return BaseOperators.Contains(baseOp) && !(baseOp == "Null" && op != "Null");
    }

    private static (string? SetOperator, bool IfExists, string Base) Split(string op)
    {
        string? set = null;
        if (op.StartsWith("ForAllValues:", StringComparison.Ordinal))
        {
            set = "ForAllValues";
            op = op["ForAllValues:".Length..];
        }
        else if (op.StartsWith("ForAnyValue:", StringComparison.Ordinal))
        {
            set = "ForAnyValue";
            op = op["ForAnyValue:".Length..];
        }

        var ifExists = op.EndsWith("IfExists", StringComparison.Ordinal) && op != "IfExists";
        return (set, ifExists, ifExists ? op[..^"IfExists".Length] : op);
    }

    public static bool Holds(PolicyCondition condition, bool variables, RequestContext request)
    {
        var (set, ifExists, op) = Split(condition.Operator);
        var actual = request.Get(condition.Key);
        var present = actual is { Count: > 0 };
        if (op == "Null")
        {
            return condition.Values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase)) ? !present : present;
        }

        var negated = op is "StringNotEquals" or "StringNotEqualsIgnoreCase" or "StringNotLike" or "NumericNotEquals" or "DateNotEquals" or "NotIpAddress" or "ArnNotEquals" or "ArnNotLike";
        if (!present)
        {
            return set switch
            {
                "ForAllValues" => true,
                "ForAnyValue" => false,
                _ => ifExists || negated,
            };
        }

        var policyValues = op.StartsWith("String", StringComparison.Ordinal) || op.StartsWith("Arn", StringComparison.Ordinal)
            ? condition.Values.Select(v => PolicyEvaluator.Substitute(v, variables, request)).Where(v => v is not null).Select(v => v!).ToList()
            : condition.Values.ToList();
        var positive = negated ? op switch
        {
            "StringNotEquals" => "StringEquals",
            "StringNotEqualsIgnoreCase" => "StringEqualsIgnoreCase",
            "StringNotLike" => "StringLike",
            "NumericNotEquals" => "NumericEquals",
            "DateNotEquals" => "DateEquals",
            "NotIpAddress" => "IpAddress",
            "ArnNotEquals" => "ArnEquals",
            _ => "ArnLike",
        } : op;

        // One request value against the policy values: a positive operator matches any of them, a negated one none.
        bool MatchOne(string value) => negated ? !policyValues.Any(p => Compare(positive, value, p)) : policyValues.Any(p => Compare(positive, value, p));

        return set switch
        {
            "ForAllValues" => actual!.All(MatchOne),
            "ForAnyValue" => actual!.Any(MatchOne),
            _ => actual!.Any(MatchOne),
        };
    }

    private static bool Compare(string op, string actual, string expected)
    {
        switch (op)
        {
            case "StringEquals":
                return actual == Unliteral(expected);
            case "StringEqualsIgnoreCase":
                return string.Equals(actual, Unliteral(expected), StringComparison.OrdinalIgnoreCase);
            case "StringLike":
                return PolicyEvaluator.Glob(expected, actual, ignoreCase: false);
            case "ArnEquals":
            case "ArnLike":
                return ArnMatches(expected, actual);
            case "Bool":
                return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
            case "BinaryEquals":
                return actual == expected;
            case "IpAddress":
                return IpMatches(expected, actual);
            default:
                if (op.StartsWith("Numeric", StringComparison.Ordinal))
                {
                    return double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                        && double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var e)
                        && Ordered(op["Numeric".Length..], a.CompareTo(e));
                }

                if (op.StartsWith("Date", StringComparison.Ordinal))
                {
                    return ParseDate(actual) is { } ad && ParseDate(expected) is { } ed && Ordered(op["Date".Length..], ad.CompareTo(ed));
                }

                return false;
        }
    }

    private static string Unliteral(string value) => value.Replace(PolicyEvaluator.LiteralStar, "*", StringComparison.Ordinal).Replace(PolicyEvaluator.LiteralQuestion, "?", StringComparison.Ordinal);

    private static bool Ordered(string relation, int comparison) => relation switch
    {
        "Equals" => comparison == 0,
        "LessThan" => comparison < 0,
        "LessThanEquals" => comparison <= 0,
        "GreaterThan" => comparison > 0,
        "GreaterThanEquals" => comparison >= 0,
        _ => false,
    };

    private static DateTimeOffset? ParseDate(string value)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            return DateTimeOffset.FromUnixTimeSeconds(epoch);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
    }

    /// <summary>ARN matching segment by segment (six colon-separated parts), wildcards within each.</summary>
    private static bool ArnMatches(string pattern, string arn)
    {
        var p = pattern.Split(':', 6);
        var a = arn.Split(':', 6);
        if (p.Length != 6 || a.Length != 6)
        {
            return PolicyEvaluator.Glob(pattern, arn, ignoreCase: false);
        }

        for (var i = 0; i < 6; i++)
        {
            if (!PolicyEvaluator.Glob(p[i], a[i], ignoreCase: false))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IpMatches(string cidr, string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return false;
        }

        if (!cidr.Contains('/', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(cidr, out var single) && single.Equals(ip);
        }

        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(cidr[..slash], out var network) || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
        {
            return false;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        var a = ip.GetAddressBytes();
        var n = network.GetAddressBytes();
        if (a.Length != n.Length || prefix < 0 || prefix > a.Length * 8)
        {
            return false;
        }

        // Compare the first `prefix` bits; host bits in the policy's address are ignored, as AWS does.
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
