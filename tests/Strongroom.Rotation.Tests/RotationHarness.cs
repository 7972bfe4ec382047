using System.Security.Cryptography;
using System.Text.Json;
using Strongroom.Rotation.Builtin;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>Drives the four steps in order as the server will, and checks messages for secrets.</summary>
internal static class RotationHarness
{
    public static IBuiltinRotator Rotator(string kind) =>
        BuiltinRotators.Find(kind) ?? throw new InvalidOperationException($"no built-in rotator {kind}");

    public static string Unique(string prefix) => prefix + "_" + RandomNumberGenerator.GetHexString(8, lowercase: true);

    public static Task StepAsync(IBuiltinRotator rotator, InMemorySecretsManager sm, string arn, string token, string step) =>
        rotator.RunStepAsync(new RotationEvent(step, arn, token, null), sm, OutboundPolicy.Default, _ => { }, CancellationToken.None);

    /// <summary>One whole rotation; with <paramref name="twice"/> every step is run a second time (idempotence).</summary>
    public static async Task<string> RotateAsync(IBuiltinRotator rotator, InMemorySecretsManager sm, string arn, bool twice = false)
    {
        string token = sm.StartRotation(arn);
        foreach (string step in RotationEvent.Steps)
        {
            await StepAsync(rotator, sm, arn, token, step);
            if (twice)
            {
                await StepAsync(rotator, sm, arn, token, step);
            }
        }

        sm.CompleteRotation(arn);
        return token;
    }

    public static async Task<JsonElement> ValueAsync(InMemorySecretsManager sm, string arn, string stage)
    {
        SecretValueResult v = await sm.GetSecretValueAsync(arn, null, stage, CancellationToken.None);
        using var doc = JsonDocument.Parse(v.SecretString!);
        return doc.RootElement.Clone();
    }

    public static (string User, string Password) Creds(JsonElement secret) =>
        (secret.GetProperty("username").GetString()!, secret.GetProperty("password").GetString()!);

    /// <summary>Fails when the exception's message or ToString (inner exceptions included) holds a known password.</summary>
    public static void AssertNoSecret(Exception e, IEnumerable<string> passwords)
    {
        string text = e.ToString() + "\n" + e.Message;
        for (Exception? x = e.InnerException; x is not null; x = x.InnerException)
        {
            text += "\n" + x.Message;
        }

        foreach (string p in passwords)
        {
            Assert.False(text.Contains(p, StringComparison.Ordinal), $"an exception text holds a password: {e.GetType().Name}");
        }
    }
}
