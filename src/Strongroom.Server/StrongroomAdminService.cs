using System.Text.Json;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Json;
using Strongroom.Protocol.Aws.Strongroom;

namespace Strongroom.Server;

/// <summary>
/// Strongroom's own admin API (X-Amz-Target "Strongroom.*"). Rotation-function operations are open to whoever an
/// IAM policy allows strongroom:&lt;Operation&gt; (already checked by the authorizer), except that only the admin may
/// define or change command and URL functions; WatchSecrets is open to every caller (each secret is authorised
/// inside); VerifyAuditTrail and ExplainAccess are decided by policy (the admin, or an explicit strongroom:&lt;Operation&gt;); Seal is for the admin only. Thread-safe.
/// </summary>
public sealed class StrongroomAdminService : IJsonService
{
    private readonly RotationAdminApi _rotationAdmin;
    private readonly WatchSecretsApi _watchSecrets;
    private readonly AuditAdminApi _auditAdmin;
    private readonly SealSwitch _seal;
    private readonly EventsAdminApi _events;
    private readonly Core.Storage.IStore _store;
    private readonly int _maxWatches;

    /// <summary>Strongroom.WatchSecrets calls running now (bounded by <see cref="RequestLimitsOptions.MaxWatches"/>).</summary>
    private int _watching;

    public StrongroomAdminService(RotationAdminApi rotationAdmin, WatchSecretsApi watchSecrets, AuditAdminApi auditAdmin, SealSwitch seal, Core.Storage.IStore store, ServerOptions options, EventsAdminApi events)
    {
        _events = events;
        ArgumentNullException.ThrowIfNull(options);
        _maxWatches = options.Limits.MaxWatches;
        _rotationAdmin = rotationAdmin;
        _watchSecrets = watchSecrets;
        _auditAdmin = auditAdmin;
        _seal = seal;
        _store = store;
    }

    public string SigningName => "strongroom";

    public string TargetPrefix => RotationAdminApi.TargetPrefix;

    public bool Serves(string operation) =>
        operation is "ExplainAccess" or EventsAdminApi.ListOperation or EventsAdminApi.RedeliverOperation or AuditAdminApi.VerifyOperation or WatchSecretsApi.Operation or SealSwitch.Operation || _rotationAdmin.Handles(operation);

    public async Task InvokeAsync(string operation, JsonCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (_rotationAdmin.Handles(operation))
        {
            var author = new Core.Rotation.RotationFunctionAuthor(call.PrincipalArn, call.IsAdmin);
            await _rotationAdmin.InvokeAsync(operation, call.Region, author, call.Access, call.Input, call.Output, call.Ct);
            return;
        }

        if (operation == WatchSecretsApi.Operation)
        {
            // Open to every caller; each secret is authorised as secretsmanager:DescribeSecret inside (Core.Secrets.SecretWatch).
            // Each call may hold its request for up to 20 s: past the bound one more is refused at once, not parked, so
            // waiting callers cannot pile up without limit (the client backs off and retries, as after any throttling).
            try
            {
                if (Interlocked.Increment(ref _watching) > _maxWatches)
                {
                    ServerMetrics.Throttled.WithLabels("watch").Inc();
                    throw new AwsError("ThrottlingException", $"Rate exceeded: {_maxWatches} WatchSecrets calls are already waiting on this server (limit max-watches); retry after a short delay.");
                }

                await _watchSecrets.InvokeAsync(call.Region, call.Access, call.Input, call.Output, call.Ct);
            }
            finally
            {
                Interlocked.Decrement(ref _watching);
            }

            return;
        }

        if (operation == AuditAdminApi.VerifyOperation)
        {
            await _auditAdmin.VerifyAsync(call.Output, call.Ct);
            return;
        }

        // ExplainAccess: the admin, or whoever an IAM policy allows strongroom:ExplainAccess (checked by the authorizer).
        if (operation != "ExplainAccess" && !call.IsAdmin)
        {
            throw new AwsError("AccessDeniedException", $"User: {call.PrincipalArn} is not authorized to perform: strongroom:{operation}: Strongroom's admin API is for the administrator only.");
        }

        if (operation is EventsAdminApi.ListOperation or EventsAdminApi.RedeliverOperation)
        {
            await _events.InvokeAsync(operation, call);
            return;
        }

        if (operation == SealSwitch.Operation)
        {
            if (!_seal.Sealable)
            {
                throw new AwsError("ValidationException", "Only a server whose root key is held by Shamir key shares can be sealed; this one would load its root key again at once.");
            }

            _seal.Seal();
            call.Output.WriteStartObject();
            call.Output.WriteBoolean("Sealed", true);
            call.Output.WriteString("Message", "the server seals now; unseal it with the key shares (strongroom operator unseal)");
            call.Output.WriteEndObject();
            return;
        }

        if (operation != "ExplainAccess")
        {
            throw new AwsError("UnknownOperationException", $"Strongroom's admin API has no operation {operation}.");
        }

        var context = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        if (call.Input.Object("Context") is { } map)
        {
            foreach (var property in map.EnumerateObject())
            {
                context.Add(new(property.Name, property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().Select(v => v.ToString()).ToList() : [property.Value.ToString()]));
            }
        }

        // For an IAM user (UserName) or a session of an IAM role (RoleName): exactly one of the two.
        var (userName, roleName) = (call.Input.String("UserName"), call.Input.String("RoleName"));
        if ((userName is null) == (roleName is null))
        {
            throw new AwsError("ValidationException", "Give exactly one of UserName and RoleName.");
        }

        var explanation = userName is not null
            ? await ExplainTool.ExplainAsync(_store, userName, call.Input.RequiredString("Action"), call.Input.RequiredString("Resource"), context, call.Ct, call.Region)
            : await ExplainTool.ExplainRoleAsync(_store, roleName!, call.Input.RequiredString("Action"), call.Input.RequiredString("Resource"), context, call.Ct, call.Region);
        call.Output.WriteStartObject();
        call.Output.WriteString("Decision", explanation.Decision);
        call.Output.WriteBoolean("Allowed", explanation.Allowed);
        Protocol.Aws.Json.JsonOutput.String(call.Output, "PolicyName", explanation.PolicyName);
        Protocol.Aws.Json.JsonOutput.String(call.Output, "StatementSid", explanation.StatementSid);
        if (explanation.StatementIndex is { } index)
        {
            call.Output.WriteNumber("StatementIndex", index);
        }

        call.Output.WriteString("Explanation", explanation.Text);
        call.Output.WriteEndObject();
    }
}
