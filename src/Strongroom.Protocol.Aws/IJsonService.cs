namespace Strongroom.Protocol.Aws;

/// <summary>
/// One awsJson 1.1 service as the host routes to it: the X-Amz-Target prefix that selects it, the SigV4 signing
/// name its credential scope must carry, the operations it serves. The host keeps one list of these and has no
/// per-service switch; adding a service is implementing this and registering it.
/// </summary>
public interface IJsonService
{
    /// <summary>The signing name (credential scope service), also the IAM action prefix: "secretsmanager", "kms".</summary>
    string SigningName { get; }

    /// <summary>The X-Amz-Target prefix, with its trailing dot: "secretsmanager.", "TrentService.".</summary>
    string TargetPrefix { get; }

    /// <summary>The member an error's text goes in ("message" for KMS and SSM, "Message" elsewhere), as AWS's own services write it.</summary>
    string ErrorMessageMember => "Message";

    /// <summary>
    /// The error a denied call of this service answers (the awsJson services: AccessDeniedException, 400), with the
    /// decision's text as its message.
    /// </summary>
    AwsError AccessDenied(string message) => new("AccessDeniedException", message);

    /// <summary>Whether this server serves <paramref name="operation"/> (metric labels and the audit record use only served names).</summary>
    bool Serves(string operation);

    /// <summary>Runs <paramref name="operation"/> of an authorised call; domain errors propagate.</summary>
    Task InvokeAsync(string operation, JsonCall call);
}
