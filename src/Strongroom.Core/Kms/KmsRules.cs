using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;

namespace Strongroom.Core.Kms;

/// <summary>The checks KMS use cases share: key states and managers, tags, key policies, page sizes and markers, with AWS's messages.</summary>
internal static class KmsRules
{
    internal const int MaxPolicyBytes = 32768;

    internal static DomainException Error(ErrorKind kind, string message) => new(kind, message);

    internal static void RequireCustomerManaged(KmsKeyRecord key, string action)
    {
        if (key.Manager == KmsKeyManager.Aws)
        {
            throw Error(ErrorKind.AccessDenied, $"The AWS managed key {key.Arn} can be used only by the AWS service it belongs to; kms:{action} is not allowed on it.");
        }
    }

    internal static void RequireNotPendingDeletion(KmsKeyRecord key)
    {
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw Error(ErrorKind.KmsInvalidState, $"{key.Arn} is pending deletion.");
        }
    }

    internal static void RequireUsable(KmsKeyRecord key)
    {
        RequireNotPendingDeletion(key);
        if (key.State != KmsKeyState.Enabled)
        {
            throw Error(ErrorKind.Disabled, $"{key.Arn} is disabled.");
        }
    }

    internal static void ValidateTags(IReadOnlyList<KeyValuePair<string, string>>? tags)
    {
        if (tags is null)
        {
            return;
        }

        foreach (var (key, value) in tags)
        {
            Validate.Length(key, "tags.member.tagKey", 1, 128);
            Validate.Length(value, "tags.member.tagValue", 0, 256);
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw Error(ErrorKind.Tag, "Tags beginning with aws: are reserved and cannot be created, updated or deleted.");
            }
        }
    }

    internal static void ValidatePolicy(string policy)
    {
        Validate.Length(policy, "policy", 1, 131072);
        if (policy.Any(c => !(c is '\t' or '\n' or '\r' || (c >= '\u0020' && c <= '\u00FF'))))
        {
            throw DomainException.Constraint("policy", "***", "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
        }

        if (Encoding.UTF8.GetByteCount(policy) > MaxPolicyBytes)
        {
            throw Error(ErrorKind.LimitExceeded, "The key policy is larger than the 32 KB quota.");
        }

        var errors = ResourcePolicyCheck.SyntaxErrors(policy);
        if (errors.Count > 0)
        {
            throw Error(ErrorKind.MalformedPolicyDocument, "The key policy is not valid: " + errors[0]);
        }
    }

    internal static int PageSize(int? limit, int max, int fallback)
    {
        Validate.Range(limit, "limit", 1, 1000);
        return Math.Min(limit ?? fallback, max);
    }

    internal static void ValidateMarker(string? marker) => Validate.Length(marker, "marker", 1, 1024);
}
