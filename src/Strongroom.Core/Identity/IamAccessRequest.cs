namespace Strongroom.Core.Identity;

/// <summary>One permission an IAM or STS call needs.</summary>
/// <param name="Action">service:Operation.</param>
/// <param name="Resource">The ARN AWS's Service Authorization Reference names for the action ("*" where it names none).</param>
/// <param name="Keys">The action's condition keys (aws:RequestTag/…, aws:TagKeys, aws:ResourceTag/…, iam:PolicyARN …).</param>
/// <param name="Forbidden">When set, no policy can allow this to anyone but the administrator; the denial's reason.</param>
public sealed record IamAccessRequest(string Action, string Resource, IReadOnlyDictionary<string, IReadOnlyList<string>> Keys, string? Forbidden = null);
