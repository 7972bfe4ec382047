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
}
