using System.Buffers;
using System.Text.Json;

namespace Strongroom.Core.Audit;

/// <summary>Serialises an <see cref="AuditEvent"/> into a CloudTrail record (eventVersion 1.09). Pure; thread-safe.</summary>
public static class AuditRecordWriter
{
    // Every call renders into its thread's buffer and writer (reset, never shared across threads): a record costs
    // its string and nothing else.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string Write(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
        try
        {
            w.WriteStartObject();
            w.WriteString("eventVersion", "1.09");
            w.WritePropertyName("userIdentity");
            if (e.UserIdentity is { } id)
            {
                w.WriteStartObject();
                w.WriteString("type", id.Type);
                w.WriteString("principalId", id.PrincipalId);
                w.WriteString("arn", id.Arn);
                w.WriteString("accountId", id.AccountId);
                if (id.AccessKeyId is not null)
                {
                    w.WriteString("accessKeyId", id.AccessKeyId);
                }

                if (id.UserName is not null)
                {
                    w.WriteString("userName", id.UserName);
                }

                if (id.SessionIssuer is { } issuer)
                {
                    w.WriteStartObject("sessionContext");
                    w.WriteStartObject("sessionIssuer");
                    w.WriteString("type", issuer.Type);
                    w.WriteString("principalId", issuer.PrincipalId);
                    w.WriteString("arn", issuer.Arn);
                    w.WriteString("accountId", issuer.AccountId);
                    w.WriteString("userName", issuer.UserName);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }
            else if (e.EventType == "AwsServiceEvent")
            {
                w.WriteStartObject();
                w.WriteString("accountId", e.AccountId);
                w.WriteString("invokedBy", e.EventSource);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNullValue();
            }

            w.WriteString("eventTime", e.EventTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("eventSource", e.EventSource);
            w.WriteString("eventName", e.EventName);
            w.WriteString("awsRegion", e.AwsRegion);
            w.WriteString("sourceIPAddress", e.SourceIpAddress ?? e.EventSource);
            w.WriteString("userAgent", e.UserAgent ?? e.EventSource);
            if (e.ErrorCode is not null)
            {
                w.WriteString("errorCode", e.ErrorCode);
                w.WriteString("errorMessage", e.ErrorMessage ?? string.Empty);
            }

            WriteRaw(w, "requestParameters", e.RequestParametersJson);
            WriteRaw(w, "responseElements", e.ResponseElementsJson);
            if (e.ServiceEventDetailsJson is not null)
            {
                WriteRaw(w, "serviceEventDetails", e.ServiceEventDetailsJson);
            }

            if (e.RequestId is not null)
            {
                w.WriteString("requestID", e.RequestId);
            }

            w.WriteString("eventID", e.EventId);
            w.WriteBoolean("readOnly", e.ReadOnly);
            if (e.Resources.Count > 0)
            {
                w.WriteStartArray("resources");
                foreach (var resource in e.Resources)
                {
                    w.WriteStartObject();
                    w.WriteString("accountId", e.AccountId);
                    w.WriteString("type", resource.Type);
                    w.WriteString("ARN", resource.Arn);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteString("eventType", e.EventType);
            w.WriteBoolean("managementEvent", true);
            w.WriteString("recipientAccountId", e.AccountId);
            w.WriteString("eventCategory", "Management");
            w.WriteEndObject();
            w.Flush();
            return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            // A record holds identities and resource names: nothing of it stays behind in the thread's buffer.
            buffer.Clear();
            if (buffer.Capacity > 64 * 1024)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static void WriteRaw(Utf8JsonWriter w, string name, string? json)
    {
        w.WritePropertyName(name);
        if (json is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteRawValue(json);
        }
    }
}
