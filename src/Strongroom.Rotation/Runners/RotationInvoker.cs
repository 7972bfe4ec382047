using Strongroom.Core.Rotation;

namespace Strongroom.Rotation.Runners;

/// <summary>Where functions call back and how: the server's own endpoint as rotation functions see it.</summary>
public sealed class RotationRuntimeOptions
{
    /// <summary>The Secrets Manager endpoint functions call: the server's own address, known once it listens.</summary>
    public Uri Endpoint { get; set; } = new("http://127.0.0.1:4566/");

    /// <summary>When the server serves HTTPS with its own certificate: the PEM file functions trust (AWS_CA_BUNDLE).</summary>
    public string? CaBundle { get; init; }

    /// <summary>Largest amount of each of a command's standard output and error kept (its tail), masked before it is stored.</summary>
    public int OutputLimitBytes { get; init; } = 16 * 1024;

    /// <summary>Where HTTP functions and built-in rotators may connect (<c>--rotation-allowed-hosts</c>).</summary>
    public OutboundPolicy Outbound { get; init; } = OutboundPolicy.Default;
}

/// <summary>Runs a step with the runner that fits the function's kind.</summary>
public sealed class RotationInvoker : IRotationInvoker
{
    private readonly CommandRunner _command;
    private readonly HttpRunner _http;
    private readonly BuiltinRunner _builtin;

    /// <param name="options">The server's endpoint and the outbound allow-list.</param>
    /// <param name="functions">Looks up HTTP functions' signing keys.</param>
    /// <param name="functionHttp">Calls HTTP functions: made from <see cref="OutboundPolicy.CreateHttpHandler"/> (no redirects, allowed hosts only).</param>
    /// <param name="callbackHttp">Calls the server itself back for built-in rotators (its own endpoint, which the allow-list does not govern).</param>
    public RotationInvoker(RotationRuntimeOptions options, IRotationFunctions functions, HttpClient functionHttp, HttpClient callbackHttp)
    {
        ArgumentNullException.ThrowIfNull(options);
        _command = new CommandRunner(options);
        _http = new HttpRunner(functionHttp, functions);
        _builtin = new BuiltinRunner((credentials, region) => new ClientSecretsManagerCalls(callbackHttp, options.Endpoint, region, credentials), options.Outbound);
    }

    public Task InvokeAsync(RotationFunction function, RotationStep step, RotationCredentials credentials, RotationStepOutput output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(output);
        return function.Kind switch
        {
            RotationFunctionKind.Command => _command.InvokeAsync(function, step, credentials, output, ct),
            RotationFunctionKind.Http => _http.InvokeAsync(function, step, output, ct),
            RotationFunctionKind.Builtin => _builtin.InvokeAsync(function, step, credentials, output, ct),
            _ => throw new RotationFailedException($"Unknown function kind {function.Kind}."),
        };
    }

    /// <summary>AWS's event JSON for a step.</summary>
    internal static byte[] EventJson(RotationStep step) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
    {
        ["Step"] = step.Step,
        ["SecretId"] = step.SecretArn,
        ["ClientRequestToken"] = step.ClientRequestToken,
        ["RotationToken"] = step.RotationToken,
    });
}
