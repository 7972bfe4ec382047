using System.Globalization;
using System.Text.Json;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;

namespace Strongroom.Core.Parameters;

/// <summary>Parameter policies: their validation, the Expiration policy that deletes a parameter, and the ExpirationNotification and NoChangeNotification events.</summary>
public sealed class ParameterPolicies
{
    private readonly IStore _store;
    private readonly TimeProvider _time;

    internal ParameterPolicies(ParameterStoreContext context)
    {
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

    /// <summary>Deletes parameters whose Expiration policy is due. Returns them.</summary>
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
                    if (Expiration(parameter.Current.Policies) is { } when && when <= now)
                    {
                        await _store.WriteAsync(async tx =>
                        {
                            await tx.DeleteParameterAsync(region, parameter.Key, ct);
                            return true;
                        }, ct);
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

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _notified = new(StringComparer.Ordinal);

    /// <summary>
    /// ExpirationNotification (a set time before expiry) and NoChangeNotification (a set time after the last
    /// change) that have come due, each reported once per parameter version while this process runs.
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
                        var marker = $"{region}|{parameter.Key}|{parameter.Current.Version}|{type}";
                        if (at is { } when && when <= now && _notified.TryAdd(marker, true))
                        {
                            due.Add((parameter, type!, type == "ExpirationNotification"
                                ? $"Parameter {parameter.Name} expires at {Expiration(policies):O}."
                                : $"Parameter {parameter.Name} has not changed since {parameter.Current.LastModifiedDate:O}."));
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
