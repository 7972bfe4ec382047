using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strongroom;

/// <summary>
/// How `strongroom` prints a listing answer of its own commands (`rotation runs`, `rotation status`, `function list`): a table for a
/// person by default, or with `--output json` the answer as JSON. Either way a time is ISO-8601 in UTC
/// (2026-12-07T14:03:22.517Z), not the wire's epoch seconds, as the AWS CLI v2 prints timestamps. Stateless.
/// </summary>
internal static class ListingOutput
{
    public const string Table = "table";
    public const string Json = "json";

    /// <summary>Relaxed escaping: the output is for a terminal, as the AWS CLI prints it (no \u002B for "+").</summary>
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, IndentSize = 4, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One column: its heading and how a row's cell is taken from the row object.</summary>
    public sealed record Column(string Heading, Func<JsonObject, string> Cell);

    /// <summary>The columns of a listing, and the member of the answer that holds its rows.</summary>
    public sealed record Listing(string RowsMember, IReadOnlyList<Column> Columns);

    /// <summary>`strongroom rotation runs`.</summary>
    public static readonly Listing RotationRuns = new("Runs",
    [
        new("RUN", r => Text(r, "RunId")),
        new("SECRET", r => SecretName(Text(r, "SecretArn"))),
        new("TRIGGER", r => Text(r, "Trigger")),
        new("ATTEMPT", r => Text(r, "Attempt")),
        new("STEP", r => Text(r, "StepReached")),
        new("OUTCOME", r => Text(r, "Outcome")),
        new("STARTED", r => Time(r, "StartedDate")),
        new("FINISHED", r => Time(r, "FinishedDate")),
        new("RETRY AT", r => Time(r, "RetryAt")),
        new("ERROR", r => Text(r, "Error")),
    ]);

    /// <summary>`strongroom rotation status`.</summary>
    public static readonly Listing RotationStatus = new("Secrets",
    [
        new("SECRET", r => SecretName(Text(r, "SecretArn"))),
        new("LAST OUTCOME", r => Text(r, "LastOutcome")),
        new("LAST SUCCESS", r => Time(r, "LastSuccessDate")),
        new("NEXT DUE", r => Time(r, "NextDueDate")),
        new("OVERDUE", r => Text(r, "Overdue") == "true" ? "yes (" + Text(r, "OverdueSeconds") + " s)" : "no"),
        new("FAILURES IN A ROW", r => Text(r, "ConsecutiveFailures")),
        new("NEVER RAN", r => Text(r, "NeverRan") == "true" ? "yes" : "no"),
        new("LAST ERROR", r => Text(r, "LastError")),
    ]);

    /// <summary>`strongroom function list`.</summary>
    public static readonly Listing RotationFunctions = new("Functions",
    [
        new("NAME", r => Text(r, "Name")),
        new("KIND", r => Text(r, "Kind")),
        new("RUNS", r => First(Text(r, "Builtin"), Text(r, "Command"), Text(r, "Url"))),
        new("TIMEOUT", r => Text(r, "TimeoutSeconds") is { Length: > 0 } t ? t + " s" : string.Empty),
        new("ROLE", r => Text(r, "RoleArn")),
        new("CHANGED", r => First(Time(r, "LastModified"), Time(r, "CreatedDate"))),
    ]);

    /// <summary>Writes <paramref name="answer"/> as <paramref name="format"/> (<see cref="Table"/> or <see cref="Json"/>).</summary>
    public static string Render(JsonElement answer, Listing listing, string format)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var root = JsonNode.Parse(answer.GetRawText()) as JsonObject ?? [];
        IsoTimes(root);
        if (format == Json)
        {
            return root.ToJsonString(Pretty);
        }

        var rows = (root[listing.RowsMember] as JsonArray ?? []).OfType<JsonObject>()
            .Select(row => listing.Columns.Select(c => OneLine(c.Cell(row))).ToArray()).ToList();
        var widths = listing.Columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Heading.Length).Max()).ToArray();
        var text = new StringBuilder();
        Line(text, listing.Columns.Select(c => c.Heading).ToArray(), widths);
        foreach (var row in rows)
        {
            Line(text, row, widths);
        }

        if (rows.Count == 0)
        {
            text.Append("(none)\n");
        }

        if (Text(root, "NextToken") is { Length: > 0 })
        {
            text.Append("(more: this page shows the newest ").Append(rows.Count.ToString(CultureInfo.InvariantCulture)).Append("; use --output json for NextToken)\n");
        }

        return text.ToString().TrimEnd('\n');
    }

    private static void Line(StringBuilder text, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            line.Append(cells[i].PadRight(widths[i]));
            if (i < cells.Length - 1)
            {
                line.Append("  ");
            }
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }

    /// <summary>Turns every member named *Date, *At or LastModified (epoch seconds on the wire) into ISO-8601 UTC.</summary>
    private static void IsoTimes(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (value is JsonValue v && v.TryGetValue<decimal>(out var seconds) && IsTimeMember(key))
                    {
                        o[key] = Iso(seconds);
                    }
                    else
                    {
                        IsoTimes(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    IsoTimes(item);
                }

                break;
        }
    }

    private static bool IsTimeMember(string key) =>
        key.EndsWith("Date", StringComparison.Ordinal) || key.EndsWith("At", StringComparison.Ordinal) || key == "LastModified";

    private static string Iso(decimal epochSeconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)decimal.Round(epochSeconds * 1000m)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Text(JsonObject row, string member) => row[member] switch
    {
        null => string.Empty,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => other.ToJsonString(),
    };

    /// <summary>Times are already ISO-8601 strings here (<see cref="IsoTimes"/> ran first).</summary>
    private static string Time(JsonObject row, string member) => Text(row, member);

    private static string First(params string[] values) => values.FirstOrDefault(v => v.Length > 0) ?? string.Empty;

    /// <summary>arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX → NAME (the six-character suffix dropped).</summary>
    private static string SecretName(string arn)
    {
        var parts = arn.Split(':', 7);
        if (parts.Length != 7 || parts[5] != "secret")
        {
            return arn;
        }

        var name = parts[6];
        return name.Length > 7 && name[^7] == '-' ? name[..^7] : name;
    }

    private static string OneLine(string value)
    {
        var line = value.ReplaceLineEndings(" ");
        return line.Length > 80 ? line[..79] + "…" : line;
    }
}
