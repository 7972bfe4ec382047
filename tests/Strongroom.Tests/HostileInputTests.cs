using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// Issue #16's findings, each through real HTTP against a real server process: hostile bodies get AWS's 4xx (never a
/// 500), change nothing, and are still recorded; records are bounded; client errors leave no stack trace in the log.
/// </summary>
[Collection("processes")]
public sealed class HostileInputTests : IClassFixture<HostileServer>
{
    private readonly HostileServer _fixture;

    public HostileInputTests(HostileServer fixture)
    {
        _fixture = fixture;
    }

    private RawSigner Client() => new(_fixture.Server.Endpoint);

    private static string Token() => Guid.NewGuid().ToString();

    /// <summary>Bodies that are not decodable text, each spliced into an otherwise valid request as an extra member, a key, or a value.</summary>
    public static TheoryData<string, byte[]> UndecodableJson() => new()
    {
        { "lone high surrogate in an unused member", Encoding.UTF8.GetBytes("\"Extra\":\"\\ud800\"") },
        { "swapped surrogates", Encoding.UTF8.GetBytes("\"Extra\":\"\\udc00\\ud800\"") },
        { "trailing high surrogate", Encoding.UTF8.GetBytes("\"Extra\":\"abc\\ud83d\"") },
        { "lone surrogate as a member name", Encoding.UTF8.GetBytes("\"\\ud800\":1") },
        { "invalid UTF-8 bytes in a string", [.. "\"Extra\":\""u8.ToArray(), 0xff, 0xfe, 0xc3, .. "\""u8.ToArray()] },
        { "UTF-8-encoded surrogate in a string", [.. "\"Extra\":\""u8.ToArray(), 0xed, 0xa0, 0x80, .. "\""u8.ToArray()] },
    };

    [Theory]
    [MemberData(nameof(UndecodableJson))]
    public async Task PutSecretValue_UndecodableMember_Answers400SerializationException_NewVersionNotCreated_CallRecorded(string why, byte[] member)
    {
        using var client = Client();
        var name = "hostile/" + Guid.NewGuid().ToString("N");
        var created = await client.JsonAsync("secretsmanager", "CreateSecret", JsonSerializer.Serialize(new { Name = name, SecretString = "v1", ClientRequestToken = Token() }));
        Assert.Equal(200, created.Status);
        var body = Encoding.UTF8.GetBytes($"{{\"SecretId\":\"{name}\",\"SecretString\":\"v2\",\"ClientRequestToken\":\"{Token()}\",").Concat(member).Concat("}"u8.ToArray()).ToArray();

        var answer = await client.SendAsync("secretsmanager", RawSigner.Target("secretsmanager", "PutSecretValue"), RawSigner.JsonType, body);

        Assert.True(answer.Status == 400, $"{why}: {answer.Status} {answer.Body}");
        Assert.Equal("SerializationException", answer.Code);
        var value = await client.JsonAsync("secretsmanager", "GetSecretValue", JsonSerializer.Serialize(new { SecretId = name }));
        Assert.Contains("\"SecretString\":\"v1\"", value.Body, StringComparison.Ordinal);
        var record = await _fixture.RecordAsync(answer.RequestId);
        Assert.Equal("PutSecretValue", record.GetProperty("eventName").GetString());
        Assert.Equal("SerializationException", record.GetProperty("errorCode").GetString());
    }

    /// <summary>Every JSON write operation of every service meets a lone surrogate and invalid UTF-8: 400, recorded.</summary>
    [Theory]
    [InlineData("secretsmanager", "CreateSecret")]
    [InlineData("secretsmanager", "UpdateSecret")]
    [InlineData("secretsmanager", "DeleteSecret")]
    [InlineData("secretsmanager", "RestoreSecret")]
    [InlineData("secretsmanager", "TagResource")]
    [InlineData("secretsmanager", "UntagResource")]
    [InlineData("secretsmanager", "PutResourcePolicy")]
    [InlineData("secretsmanager", "RotateSecret")]
    [InlineData("secretsmanager", "UpdateSecretVersionStage")]
    [InlineData("kms", "CreateKey")]
    [InlineData("kms", "CreateAlias")]
    [InlineData("kms", "ScheduleKeyDeletion")]
    [InlineData("kms", "PutKeyPolicy")]
    [InlineData("kms", "TagResource")]
    [InlineData("kms", "Encrypt")]
    [InlineData("ssm", "PutParameter")]
    [InlineData("ssm", "DeleteParameter")]
    [InlineData("ssm", "AddTagsToResource")]
    [InlineData("ssm", "LabelParameterVersion")]
    [InlineData("strongroom", "CreateRotationFunction")]
    [InlineData("strongroom", "DeleteRotationFunction")]
    [InlineData("cloudtrail", "LookupEvents")]
    public async Task WriteOperation_LoneSurrogateOrInvalidUtf8_Answers400_AndIsRecorded(string service, string operation)
    {
        using var client = Client();
        foreach (var body in new[] { "{\"Name\":\"x\",\"Extra\":\"\\ud800\"}"u8.ToArray(), [.. "{\"Name\":\"x"u8.ToArray(), 0xff, .. "\"}"u8.ToArray()] })
        {
            var answer = await client.SendAsync(service, RawSigner.Target(service, operation), RawSigner.JsonType, body);
            Assert.True(answer.Status == 400, $"{service}.{operation}: {answer.Status} {answer.Body}");
            Assert.Equal("SerializationException", answer.Code);
            var record = await _fixture.RecordAsync(answer.RequestId);
            Assert.Equal(operation, record.GetProperty("eventName").GetString());
        }
    }

    [Theory]
    [InlineData("&=x")]
    [InlineData("=&=&=")]
    [InlineData("&&==&&%%")]
    [InlineData("%ZZ=1")]
    [InlineData("Tags.member.1.Key=%FF")]
    [InlineData("Tags.member.1.Key=%ED%A0%80")]
    public async Task CreateUser_MalformedFormBody_Answers400InvalidQueryParameter_UserNotCreated_CallRecorded(string stray)
    {
        using var client = Client();
        var user = "hostile" + Guid.NewGuid().ToString("N")[..12];

        var answer = await client.FormAsync("iam", $"Action=CreateUser&Version=2010-05-08&UserName={user}&{stray}");

        Assert.True(answer.Status == 400, $"{stray}: {answer.Status} {answer.Body}");
        Assert.Equal("InvalidQueryParameter", answer.Code);
        _ = XDocument.Parse(answer.Body);
        var get = await client.FormAsync("iam", $"Action=GetUser&Version=2010-05-08&UserName={user}");
        Assert.Equal("NoSuchEntity", get.Code);
        var record = await _fixture.RecordAsync(answer.RequestId);
        Assert.Equal("InvalidQueryParameter", record.GetProperty("errorCode").GetString());
    }

    [Theory]
    [InlineData("a%00b")]
    [InlineData("a%01b")]
    [InlineData("a%1Fb")]
    [InlineData("a%EF%BF%BEb")]
    [InlineData("a%EF%BF%BFb")]
    public async Task IamAndSts_ControlCharactersInValues_AnswerWellFormedXmlError_AndAreRecorded(string value)
    {
        using var client = Client();
        foreach (var (service, body) in new[]
        {
            ("iam", $"Action=CreateUser&Version=2010-05-08&UserName={value}"),
            ("iam", $"Action=GetUser&Version=2010-05-08&UserName={value}"),
            ("sts", $"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/{value}&RoleSessionName={value}"),
        })
        {
            var answer = await client.FormAsync(service, body);
            Assert.True(answer.Status is >= 400 and < 500, $"{service} {body}: {answer.Status} {answer.Body}");
            var error = XDocument.Parse(answer.Body);
            Assert.NotNull(error.Root);
            await _fixture.RecordAsync(answer.RequestId);
        }
    }

    [Fact]
    public async Task PolicyDocuments_WithLoneSurrogates_AnswerMalformedPolicy_NotA500()
    {
        using var client = Client();
        var user = "hostile" + Guid.NewGuid().ToString("N")[..12];
        Assert.Equal(200, (await client.FormAsync("iam", $"Action=CreateUser&Version=2010-05-08&UserName={user}")).Status);
        var policy = Uri.EscapeDataString("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"\\ud800\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}");

        var put = await client.FormAsync("iam", $"Action=PutUserPolicy&Version=2010-05-08&UserName={user}&PolicyName=p&PolicyDocument={policy}");
        var assume = await client.FormAsync("sts", $"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/none&RoleSessionName=s1&Policy={policy}");
        var name = "hostile/" + Guid.NewGuid().ToString("N");
        await client.JsonAsync("secretsmanager", "CreateSecret", JsonSerializer.Serialize(new { Name = name, SecretString = "v", ClientRequestToken = Token() }));
        var resource = await client.JsonAsync("secretsmanager", "PutResourcePolicy", JsonSerializer.Serialize(new { SecretId = name, ResourcePolicy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"\\ud800\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}" }));

        Assert.Equal((400, "MalformedPolicyDocument"), (put.Status, put.Code));
        Assert.True(assume.Status is >= 400 and < 500, assume.Body);
        Assert.True(resource.Status is >= 200 and < 500, resource.Body);
        var read = await client.JsonAsync("secretsmanager", "GetResourcePolicy", JsonSerializer.Serialize(new { SecretId = name }));
        Assert.True(read.Status is >= 200 and < 500, read.Body);
        var value = await client.JsonAsync("secretsmanager", "GetSecretValue", JsonSerializer.Serialize(new { SecretId = name }));
        Assert.True(value.Status is >= 200 and < 500, value.Body);
    }

    [Fact]
    public async Task NonAdminCaller_MalformedParameterArn_Answers4xx_NotA500()
    {
        using var admin = Client();
        var user = "hostile" + Guid.NewGuid().ToString("N")[..12];
        await admin.FormAsync("iam", $"Action=CreateUser&Version=2010-05-08&UserName={user}");
        await admin.FormAsync("iam", $"Action=PutUserPolicy&Version=2010-05-08&UserName={user}&PolicyName=all&PolicyDocument=" + Uri.EscapeDataString("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"));
        var key = XDocument.Parse((await admin.FormAsync("iam", $"Action=CreateAccessKey&Version=2010-05-08&UserName={user}")).Body);
        string Element(string name) => key.Descendants().First(e => e.Name.LocalName == name).Value;
        using var client = new RawSigner(_fixture.Server.Endpoint, Element("AccessKeyId"), Element("SecretAccessKey"));

        foreach (var name in new[] { "arn:x", "arn:aws:ssm:us-east-1:1:parameter", "arn:aws:ssm:us-east-1:1:document/x" })
        {
            var answer = await client.JsonAsync("ssm", "GetParameter", JsonSerializer.Serialize(new { Name = name }));
            Assert.True(answer.Status is >= 400 and < 500, $"{name}: {answer.Status} {answer.Body}");
        }
    }

    [Theory]
    [InlineData("{\"StartTime\":1e308}")]
    [InlineData("{\"StartTime\":-1e308}")]
    [InlineData("{\"EndTime\":9223372036854775808}")]
    [InlineData("{\"EndTime\":253402300800}")]
    [InlineData("{\"StartTime\":-62135596801}")]
    [InlineData("{\"EndTime\":\"10000-01-01T00:00:00Z\"}")]
    [InlineData("{\"StartTime\":\"0000-12-31T00:00:00Z\"}")]
    public async Task LookupEvents_TimeOutOfRange_AnswersInvalidTimeRangeException(string body)
    {
        using var client = Client();

        var answer = await client.JsonAsync("cloudtrail", "LookupEvents", body);

        Assert.Equal((400, "InvalidTimeRangeException"), (answer.Status, answer.Code));
    }

    [Theory]
    [InlineData("{\"ScheduleExpression\":\"rate(99999999999 days)\"}")]
    [InlineData("{\"ScheduleExpression\":\"rate(999999999999999999999999 hours)\"}")]
    [InlineData("{\"ScheduleExpression\":\"cron(0 0 ? * 99999999999 *)\"}")]
    [InlineData("{\"ScheduleExpression\":\"rate(10 days)\",\"Duration\":\"99999999999h\"}")]
    public async Task RotateSecret_ScheduleOutOfRange_AnswersInvalidParameterException(string rules)
    {
        using var client = Client();
        var name = "hostile/" + Guid.NewGuid().ToString("N");
        await client.JsonAsync("secretsmanager", "CreateSecret", JsonSerializer.Serialize(new { Name = name, SecretString = "v", ClientRequestToken = Token() }));

        var answer = await client.JsonAsync("secretsmanager", "RotateSecret", $"{{\"SecretId\":\"{name}\",\"RotationLambdaARN\":\"arn:aws:lambda:us-east-1:000000000000:function:none\",\"RotationRules\":{rules}}}");

        Assert.True(answer.Status == 400, answer.Body);
        Assert.Contains(answer.Code, new[] { "InvalidParameterException", "ValidationException" });
    }

    [Fact]
    public async Task AuditRecord_HugeAndUnusedMembers_AreBoundedAndMarked()
    {
        using var client = Client();
        var huge = new string('A', 1024 * 1024 - 1000);
        var name = "hostile/" + Guid.NewGuid().ToString("N");

        var answer = await client.JsonAsync("secretsmanager", "CreateSecret", JsonSerializer.Serialize(new { Name = name, SecretString = "v", ClientRequestToken = Token(), Description = huge[..4000], Junk = huge[..900_000] }));
        var record = await _fixture.RecordAsync(answer.RequestId);
        var text = record.GetRawText();

        Assert.True(text.Length < 24 * 1024, $"record of {text.Length} characters");
        var parameters = record.GetProperty("requestParameters");
        Assert.False(parameters.TryGetProperty("junk", out _), "a member CreateSecret does not have was copied");
        Assert.False(parameters.TryGetProperty("secretString", out _));
        Assert.Equal(1025, parameters.GetProperty("description").GetString()!.Length);
        Assert.Contains("description", parameters.GetProperty("strongroomTruncated").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(name, parameters.GetProperty("name").GetString());
    }

    [Fact]
    public async Task AuditRecord_ManyLargeTagsAndQueryMembers_StayUnderTheRecordBound()
    {
        using var client = Client();
        var tags = Enumerable.Range(0, 200).Select(i => new { Key = "k" + i + new string('x', 120), Value = new string('v', 2000) }).ToArray();
        var json = await client.JsonAsync("secretsmanager", "TagResource", JsonSerializer.Serialize(new { SecretId = "none", Tags = tags }));
        var form = await client.FormAsync("iam", "Action=CreateUser&Version=2010-05-08&UserName=u&" + string.Join('&', Enumerable.Range(1, 300).Select(i => $"Tags.member.{i}.Key={new string('k', 500)}&Junk{i}=j")));

        foreach (var answer in new[] { json, form })
        {
            Assert.True(answer.Status < 500, answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var record = await _fixture.RecordAsync(answer.RequestId);
            Assert.True(record.GetRawText().Length < 24 * 1024, $"record of {record.GetRawText().Length} characters");
            Assert.True(record.GetProperty("requestParameters").TryGetProperty("strongroomTruncated", out _));
        }
    }

    [Fact]
    public async Task ClientErrors_LeaveNoStackTraceInTheLog()
    {
        using var client = Client();
        await client.SendAsync("secretsmanager", RawSigner.Target("secretsmanager", "PutSecretValue"), RawSigner.JsonType, "{\"SecretId\":\"x\",\"E\":\"\\ud800\"}"u8.ToArray());
        await client.FormAsync("iam", "=&=&=");
        await client.JsonAsync("cloudtrail", "LookupEvents", "{\"StartTime\":1e308}");
        await client.JsonAsync("secretsmanager", "RotateSecret", "{\"SecretId\":\"x\",\"RotationRules\":{\"ScheduleExpression\":\"rate(99999999999 days)\"}}");
        await Transport.SendAsync(_fixture.Server.Port, Transport.Chunked("zz\r\nabc\r\n0\r\n\r\n"));

        var log = _fixture.Server.Output;
        Assert.DoesNotContain(" at Strongroom.", log, StringComparison.Ordinal);
        Assert.DoesNotContain("[1001]", log, StringComparison.Ordinal);
        Assert.DoesNotContain("InternalServiceError", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_ChunkedBodyOverTheLimit_Answers413()
    {
        var chunk = "100000\r\n" + new string('a', 0x100000) + "\r\n";
        var answer = await Transport.SendAsync(_fixture.Server.Port, Transport.Chunked(chunk + chunk + "0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_InvalidChunkSize_Answers400()
    {
        var answer = await Transport.SendAsync(_fixture.Server.Port, Transport.Chunked("zz\r\nabc\r\n0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("SerializationException", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_BodyThatNeverArrives_Answers408()
    {
        var answer = await Transport.SendAsync(_fixture.Server.Port, Transport.Head("Content-Length: 100\r\n") + "{");
        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_TricklingBody_Answers408()
    {
        var answer = await Transport.SendAsync(_fixture.Server.Port, Transport.Head("Content-Length: 100000\r\n") + "{", trickle: 30);
        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transport_TooManyHeaders_Answers431()
    {
        var headers = string.Concat(Enumerable.Range(0, 200).Select(i => $"X-H{i}: v\r\n"));
        var answer = await Transport.SendAsync(_fixture.Server.Port, Transport.Head(headers + "Content-Length: 2\r\n") + "{}");
        Assert.StartsWith("HTTP/1.1 431", answer, StringComparison.Ordinal);
    }

    /// <summary>Raw HTTP/1.1 over a socket, for what HttpClient would refuse to send.</summary>
    internal static class Transport
    {
        public static string Head(string extra) =>
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nContent-Type: application/x-amz-json-1.1\r\n" + extra + "\r\n";

        public static string Chunked(string chunks) => Head("Transfer-Encoding: chunked\r\n") + chunks;

        /// <summary>Sends <paramref name="request"/> (then one byte every 0.5 s, <paramref name="trickle"/> times) and returns what comes back.</summary>
        public static async Task<string> SendAsync(int port, string request, int trickle = 0)
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync("127.0.0.1", port);
            var stream = socket.GetStream();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
                for (var i = 0; i < trickle && socket.Available == 0; i++)
                {
                    await Task.Delay(500, timeout.Token);
                    await stream.WriteAsync("a"u8.ToArray(), timeout.Token);
                }
            }
            catch (IOException)
            {
                // The server stopped reading (it answered and closed): read what it said.
            }

            var buffer = new byte[4096];
            var read = 0;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                // reset after the answer
            }

            return Encoding.ASCII.GetString(buffer, 0, read);
        }
    }
}
