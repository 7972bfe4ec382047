using System.Text.Json;

namespace Strongroom.Protocol.Aws.Json;

/// <summary>Writers for awsJson1.1 values: timestamps are epoch seconds with a fraction; absent values are left out.</summary>
public static class JsonOutput
{
    public static void Timestamp(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is not null)
        {
            writer.WriteNumber(name, value.Value.ToUnixTimeMilliseconds() / 1000m);
        }
    }

    public static void String(Utf8JsonWriter writer, string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    public static void Bool(Utf8JsonWriter writer, string name, bool? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is not null)
        {
            writer.WriteBoolean(name, value.Value);
        }
    }

    public static void StringArray(Utf8JsonWriter writer, string name, IEnumerable<string>? values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (values is null)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>An array of objects: <paramref name="members"/> writes each item's members between its braces.</summary>
    public static void ObjectArray<T>(Utf8JsonWriter writer, string name, IEnumerable<T> items, Action<Utf8JsonWriter, T> members)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(members);
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStartObject();
            members(writer, item);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>The "Errors" member of a batch answer (BatchGetSecretValue, Strongroom.WatchSecrets): SecretId, ErrorCode, Message.</summary>
    public static void BatchErrors(Utf8JsonWriter writer, IEnumerable<Core.Secrets.BatchError> errors) =>
        ObjectArray(writer, "Errors", errors, static (w, error) =>
        {
            w.WriteString("SecretId", error.SecretId);
            w.WriteString("ErrorCode", error.ErrorCode);
            w.WriteString("Message", error.Message);
        });
}
