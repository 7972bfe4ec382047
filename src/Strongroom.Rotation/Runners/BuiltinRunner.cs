using Strongroom.Core.Rotation;

namespace Strongroom.Rotation.Runners;

/// <summary>
/// A built-in rotator, in process. It calls Secrets Manager through the ordinary signed API with the
/// role's session credentials (so its calls are authorised and audited like a Lambda function's).
/// </summary>
internal sealed class BuiltinRunner
{
    private readonly Func<RotationCredentials, string, ISecretsManagerCalls> _secretsManager;
    private readonly OutboundPolicy _outbound;

    public BuiltinRunner(Func<RotationCredentials, string, ISecretsManagerCalls> secretsManager, OutboundPolicy outbound)
    {
        _secretsManager = secretsManager;
        _outbound = outbound;
    }

    public async Task InvokeAsync(RotationFunction function, RotationStep step, RotationCredentials credentials, RotationStepOutput output, CancellationToken ct)
    {
        var rotator = function.Builtin is null ? null : Builtin.BuiltinRotators.Find(function.Builtin);
        if (rotator is null)
        {
            throw new RotationFailedException($"There is no built-in rotator {function.Builtin}.");
        }

        try
        {
            await rotator.RunStepAsync(new RotationEvent(step.Step, step.SecretArn, step.ClientRequestToken, step.RotationToken), _secretsManager(credentials, function.Region), _outbound, line => output.Write("log", line + "\n"), ct);
        }
        catch (RotationStepException e)
        {
            output.Write("log", e.Message + "\n");
            throw new RotationFailedException(e.Message);
        }
        catch (SecretsManagerCallException e)
        {
            output.Write("log", $"{step.Step}: Secrets Manager answered {e.Code}: {e.Message}\n");
            throw new RotationFailedException($"Secrets Manager answered {e.Code}: {e.Message}");
        }
    }
}
