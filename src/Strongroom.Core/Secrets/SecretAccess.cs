using Strongroom.Core.Policies;

namespace Strongroom.Core.Secrets;

/// <summary>
/// What a Secrets Manager call asks permission for, as AWS's Service Authorization Reference defines it: the action
/// (secretsmanager:Operation) on the secret's ARN — or on "*" for the listings — with the secret's condition keys and
/// resource policy, the request's own keys (secretsmanager:Name, secretsmanager:KmsKeyId, aws:RequestTag/…,
/// secretsmanager:BlockPublicPolicy), the KMS key use a write makes on the caller's behalf, and lambda:InvokeFunction
/// for a rotation. The SecretId is resolved once, into the call's <see cref="SecretResolution"/>, which the operation
/// then reuses. Thread-safe.
/// </summary>
public sealed class SecretAccess : IServiceAccess
{
    private readonly AccessChecks _checks;
    private readonly ServerIdentity _identity;

    public SecretAccess(AccessChecks checks, ServerIdentity identity)
    {
        _checks = checks;
        _identity = identity;
    }

    /// <summary>The operations AWS authorises on "*" (no resource-level permissions).</summary>
    private static bool OnAnyResource(string operation, IAccessInput input) =>
        operation is "ListSecrets" or "GetRandomPassword" or "BatchGetSecretValue" || (operation == "ValidateResourcePolicy" && input.String("SecretId") is null);

    /// <summary>
    /// The resolution the call's checks — and then its operation — share, when the call names one secret by SecretId;
    /// null for the calls that name none (CreateSecret, the listings).
    /// </summary>
    public static SecretResolution? ResolutionFor(string region, string operation, IAccessInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return operation == "CreateSecret" || OnAnyResource(operation, input) ? null : new SecretResolution(region, input.String("SecretId") ?? string.Empty);
    }

    /// <inheritdoc/>
    public string SigningName => "secretsmanager";

    /// <inheritdoc/>
    SecretResolution? IServiceAccess.ResolutionFor(string region, string operation, IAccessInput input) => ResolutionFor(region, operation, input);

    /// <inheritdoc/>
    Task<IReadOnlyList<AccessCheck>> IServiceAccess.ChecksAsync(ServiceCall call, CancellationToken ct) => ChecksAsync(call.Caller.Region, call.Operation, call.Input, call.Secret, ct);

    /// <summary>The checks of <paramref name="operation"/>, in order; every one must allow.</summary>
    /// <param name="secret">The call's resolution, from <see cref="ResolutionFor"/>.</param>
    public async Task<IReadOnlyList<AccessCheck>> ChecksAsync(string region, string operation, IAccessInput input, SecretResolution? secret, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = "secretsmanager:" + operation;
        var checks = new List<AccessCheck>();
        if (OnAnyResource(operation, input))
        {
            checks.Add(new AccessCheck(action, "*", null, false, NoKeys()));
            if (operation == "BatchGetSecretValue" && input.IsPresent("Filters"))
            {
                // Filters list secrets (their names and ARNs come back even when a value is denied): AWS requires ListSecrets too.
                checks.Add(new AccessCheck("secretsmanager:ListSecrets", "*", null, false, NoKeys()));
            }

            return checks;
        }

        if (operation == "GetSecretValue")
        {
            // The one builder every door that reads a value shares (BatchGetSecretValue's items, SSM's references).
            return await _checks.ReadSecretAsync(region, input.String("SecretId") ?? string.Empty, input.String("VersionId"), input.String("VersionStage"), ct, secret);
        }

        var keys = NoKeys();
        string arn;
        string shown;
        SecretRecord? record = null;
        if (operation == "CreateSecret")
        {
            var name = input.String("Name") ?? string.Empty;
            arn = $"arn:aws:secretsmanager:{region}:{_identity.AccountId}:secret:{name}";
            shown = arn;
            keys["secretsmanager:Name"] = [name];
            if (input.String("KmsKeyId") is { } kmsKeyId)
            {
                keys["secretsmanager:KmsKeyId"] = [kmsKeyId];
            }
        }
        else
        {
            var target = await _checks.SecretAsync(region, input.String("SecretId") ?? string.Empty, ct, secret);
            (arn, record, shown) = (target.Arn, target.Secret, target.Shown);
            foreach (var (key, values) in target.Keys)
            {
                keys[key] = values;
            }
        }

        if (operation == "PutResourcePolicy")
        {
            keys["secretsmanager:BlockPublicPolicy"] = [input.IsTrue("BlockPublicPolicy") ? "true" : "false"];
        }

        if (input.Tags("Tags") is { } tags)
        {
            foreach (var (key, value) in tags)
            {
                keys["aws:RequestTag/" + key] = [value];
            }

            keys["aws:TagKeys"] = tags.Select(t => t.Key).ToList();
        }

        checks.Add(new AccessCheck(action, arn, record?.ResourcePolicy, false, keys, shown));

        // Writing a value, or moving the secret to another key, uses KMS on the caller's behalf.
        var writesValue = operation is "CreateSecret" or "PutSecretValue" or "UpdateSecret" && (input.String("SecretString") is not null || input.String("SecretBinary") is not null);
        var movesKey = operation == "UpdateSecret" && record is not null && input.String("KmsKeyId") is not null;
        if (writesValue || movesKey)
        {
            checks.AddRange(await _checks.WriteSecretKeysAsync(region, record, operation == "PutSecretValue" ? null : input.String("KmsKeyId"), writesValue, ct));
        }

        // Attaching a rotation function, or running the one attached, invokes it: AWS requires lambda:InvokeFunction on it.
        if (operation == "RotateSecret" && (input.String("RotationLambdaARN") ?? record?.RotationLambdaArn) is { Length: > 0 } function)
        {
            var functionArn = function.StartsWith("arn:", StringComparison.Ordinal) ? function : Rotation.RotationFunction.ArnOf(region, _identity.AccountId, function);
            checks.Add(new AccessCheck("lambda:InvokeFunction", functionArn, null, false, NoKeys()));
        }

        return checks;
    }

    private static Dictionary<string, IReadOnlyList<string>> NoKeys() => new(StringComparer.OrdinalIgnoreCase);
}
