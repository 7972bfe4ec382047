using System.Globalization;
using System.Text.Json;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;

namespace Strongroom.Core.Parameters;

/// <summary>Parameter policies: their validation, the Expiration policy that deletes a parameter, and the ExpirationNotification and NoChangeNotification events.</summary>
public sealed class ParameterPolicies
{
    /// <summary>
    /// Prefix of the settings that remember, per parameter and notification policy, the parameter version last
    /// notified: written in the transaction that stores the notification's event, so a notification is stored once.
    /// </summary>
    public const string NotifiedSettingPrefix = "ssm_policy_notified|";

    private readonly IStore _store;
    private readonly TimeProvider _time;
    private readonly ParameterStoreContext _context;

    internal ParameterPolicies(ParameterStoreContext context)
    {
        _context = context;
        _store = context.Store;
        _time = context.Time;
    }

    /// <summary>Validates a Policies JSON array; returns null for "[{}]" (remove all), else the text.</summary>
    internal static string? ParsePolicies(string? policies, DateTimeOffset now)
    {
        if (policies is null)
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(policies);
        }
        catch (JsonException)
        {
            throw Error("InvalidPolicyTypeException", "The parameter policies are not a valid JSON array of policies.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw Error("InvalidPolicyTypeException", "The parameter policies must be a JSON array.");
            }

            var items = document.RootElement.EnumerateArray().ToList();
            if (items.Count == 1 && items[0].ValueKind == JsonValueKind.Object && !items[0].EnumerateObject().Any())
            {
                return null;
            }

            if (items.Count > 10)
            {
                throw Error("PoliciesLimitExceededException", "A parameter can have at most 10 policies.");
            }

            var expirations = 0;
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("Type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    throw Error("InvalidPolicyTypeException", "Every parameter policy needs a Type.");
                }

                var attributes = item.TryGetProperty("Attributes", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
                switch (type.GetString())
                {
                    case "Expiration":
                        expirations++;
                        if (attributes.ValueKind != JsonValueKind.Object || !attributes.TryGetProperty("Timestamp", out var ts) || ts.ValueKind != JsonValueKind.String
                            || !DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
                        {
                            throw Error("InvalidPolicyAttributeException", "An Expiration policy needs Attributes.Timestamp in ISO 8601 format.");
                        }

                        if (expires <= now)
                        {
                            throw Error("InvalidPolicyAttributeException", "The Expiration Timestamp must be in the future.");
                        }

                        break;
                    case "ExpirationNotification":
                    case "NoChangeNotification":
                        var amount = type.GetString() == "ExpirationNotification" ? "Before" : "After";
                        if (attributes.ValueKind != JsonValueKind.Object || !attributes.TryGetProperty(amount, out var n) || !long.TryParse(n.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                            || !attributes.TryGetProperty("Unit", out var unit) || unit.GetString() is not ("Days" or "Hours"))
                        {
                            throw Error("InvalidPolicyAttributeException", $"A {type.GetString()} policy needs Attributes.{amount} (a number) and Unit (Days or Hours).");
                        }

                        break;
                    default:
                        throw Error("InvalidPolicyTypeException", $"The policy type {type.GetString()} is not valid. Valid types are Expiration, ExpirationNotification and NoChangeNotification.");
                }
            }

            if (expirations > 1)
            {
                throw Error("IncompatiblePolicyException", "A parameter can have only one Expiration policy.");
            }

            return policies;
        }
    }

    /// <summary>
    /// Deletes parameters whose Expiration policy is due, each with its "Parameter Store Policy Action" event in the
    /// same transaction (ADR 0028). Returns them.
    /// </summary>
    public async Task<IReadOnlyList<ParameterRecord>> ExpireDueAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var expired = new List<ParameterRecord>();
        foreach (var region in await _store.ListParameterRegionsAsync(ct))
        {
            string? after = null;
            while (true)
            {
                var batch = await _store.ScanParametersAsync(region, string.Empty, after, 500, ct);
                foreach (var parameter in batch)
                {
                    after = parameter.Key;
                    if (Expiration(parameter.Current.Policies) is { } when && when <= now && await ExpireAsync(parameter, now, ct))
                    {
                        expired.Add(parameter);
                    }
                }

                if (batch.Count < 500)
                {
                    break;
                }
            }
        }

        return expired;
    }

    /// <summary>Deletes a parameter that is still there and still expired, with its event, in one transaction.</summary>
    private Task<bool> ExpireAsync(ParameterRecord parameter, DateTimeOffset now, CancellationToken ct) =>
        _store.WriteAsync(
            async tx =>
            {
                var stored = await tx.FindParameterAsync(parameter.Region, parameter.Key, ct);
                if (stored is null || Expiration(stored.Current.Policies) is not { } when || when > now)
                {
                    return false;
                }

                await tx.DeleteParameterAsync(parameter.Region, parameter.Key, ct);
                await _context.Events.AddAsync(
                    tx,
                    Events.EventCatalog.ParameterPolicy(parameter.Region, _context.Arn(parameter.Region, parameter.Name), new Dictionary<string, string> { ["policyType"] = "Expiration", ["action"] = "DeleteParameter", ["parameterName"] = parameter.Name }),
                    ct);
                return true;
            },
            ct);

    /// <summary>
    /// ExpirationNotification (a set time before expiry) and NoChangeNotification (a set time after the last
    /// change) that have come due, each reported once per parameter version: the "notified" marker (a setting,
    /// <see cref="NotifiedSettingPrefix"/>) and the notification's event are stored in one transaction (ADR 0028), so
    /// a notification is neither lost nor stored twice, across restarts and nodes.
    /// </summary>
    public async Task<IReadOnlyList<(ParameterRecord Parameter, string PolicyType, string Message)>> DueNotificationsAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var due = new List<(ParameterRecord, string, string)>();
        foreach (var region in await _store.ListParameterRegionsAsync(ct))
        {
            string? after = null;
            while (true)
            {
                var batch = await _store.ScanParametersAsync(region, string.Empty, after, 500, ct);
                foreach (var parameter in batch)
                {
                    after = parameter.Key;
                    if (parameter.Current.Policies is not { } policies)
                    {
                        continue;
                    }

                    using var document = JsonDocument.Parse(policies);
                    foreach (var item in document.RootElement.EnumerateArray())
                    {
                        var type = item.GetProperty("Type").GetString();
                        if (type is not ("ExpirationNotification" or "NoChangeNotification"))
                        {
                            continue;
                        }

                        var attributes = item.GetProperty("Attributes");
                        var amount = long.Parse(attributes.GetProperty(type == "ExpirationNotification" ? "Before" : "After").ToString(), CultureInfo.InvariantCulture);
                        var span = attributes.GetProperty("Unit").GetString() == "Hours" ? TimeSpan.FromHours(amount) : TimeSpan.FromDays(amount);
                        DateTimeOffset? at = type == "ExpirationNotification"
                            ? Expiration(policies) - span
                            : parameter.Current.LastModifiedDate + span;
                        if (at is { } when && when <= now)
                        {
                            var message = type == "ExpirationNotification"
                                ? $"Parameter {parameter.Name} expires at {Expiration(policies):O}."
                                : $"Parameter {parameter.Name} has not changed since {parameter.Current.LastModifiedDate:O}.";
                            if (await NotifyOnceAsync(parameter, type!, message, ct))
                            {
                                due.Add((parameter, type!, message));
                            }
                        }
                    }
                }

                if (batch.Count < 500)
                {
                    break;
                }
            }
        }

        return due;
    }

    /// <summary>
    /// Marks the notification of this parameter version as done and stores its event, in one transaction; false (and
    /// nothing stored) when it was already done.
    /// </summary>
    private async Task<bool> NotifyOnceAsync(ParameterRecord parameter, string type, string message, CancellationToken ct)
    {
        var setting = $"{NotifiedSettingPrefix}{parameter.Region}|{parameter.Key}|{type}";
        var version = parameter.Current.Version.ToString(CultureInfo.InvariantCulture);
        if (await _store.GetSettingAsync(setting, ct) == version)
        {
            // The common case on every pass after the first: no write.
            return false;
        }

        return await _store.WriteAsync(
            async tx =>
            {
                if (await tx.GetSettingAsync(setting, ct) == version)
                {
                    return false;
                }

                await tx.SetSettingAsync(setting, version, ct);
                await _context.Events.AddAsync(
                    tx,
                    Events.EventCatalog.ParameterPolicy(parameter.Region, _context.Arn(parameter.Region, parameter.Name), new Dictionary<string, string> { ["policyType"] = type, ["message"] = message, ["parameterName"] = parameter.Name }),
                    ct);
                return true;
            },
            ct);
    }

    public static DateTimeOffset? Expiration(string? policies)
    {
        if (policies is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(policies);
        foreach (var item in document.RootElement.EnumerateArray())
        {
            if (item.TryGetProperty("Type", out var type) && type.GetString() == "Expiration"
                && item.TryGetProperty("Attributes", out var a) && a.TryGetProperty("Timestamp", out var ts)
                && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                return when;
            }
        }

        return null;
    }
}
