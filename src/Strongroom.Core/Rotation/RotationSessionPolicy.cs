using System.Text.Json;

namespace Strongroom.Core.Rotation;

/// <summary>
/// The session policy of a rotation run's credentials: whatever the function's role may do, the run may do only what
/// AWS's rotation contract needs — DescribeSecret, GetSecretValue, PutSecretValue and UpdateSecretVersionStage on the
/// secret being rotated, GetSecretValue and DescribeSecret on the master secret its AWSCURRENT value names
/// (<c>masterarn</c>, for alternating-users rotation), GetRandomPassword, and kms:Decrypt / kms:GenerateDataKey only
/// through Secrets Manager. Pure.
/// </summary>
public static class RotationSessionPolicy
{
    public static readonly IReadOnlyList<string> SecretActions =
        ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"];

    public static readonly IReadOnlyList<string> MasterActions = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];

    public static string For(string region, string secretArn, string? masterArn)
    {
        var statements = new List<object>
        {
            new Dictionary<string, object> { ["Sid"] = "RotateThisSecret", ["Effect"] = "Allow", ["Action"] = SecretActions, ["Resource"] = secretArn },
            new Dictionary<string, object> { ["Sid"] = "NewPasswords", ["Effect"] = "Allow", ["Action"] = "secretsmanager:GetRandomPassword", ["Resource"] = "*" },
            new Dictionary<string, object>
            {
                ["Sid"] = "KeysThroughSecretsManager", ["Effect"] = "Allow", ["Action"] = new[] { "kms:Decrypt", "kms:GenerateDataKey" }, ["Resource"] = "*",
                ["Condition"] = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, string> { ["kms:ViaService"] = $"secretsmanager.{region}.amazonaws.com" } },
            },
        };
        if (masterArn is not null && masterArn != secretArn)
        {
            statements.Add(new Dictionary<string, object> { ["Sid"] = "ReadTheMasterSecret", ["Effect"] = "Allow", ["Action"] = MasterActions, ["Resource"] = masterArn });
        }

        return JsonSerializer.Serialize(new Dictionary<string, object> { ["Version"] = "2012-10-17", ["Statement"] = statements });
    }
}
