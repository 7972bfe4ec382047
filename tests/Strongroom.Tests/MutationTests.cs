using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Tests;

/// <summary>
/// The process-level mutation test (issue #16): at least 10,000 correctly signed requests whose bodies are mutated
/// (bytes flipped, inserted, deleted; lone surrogates and invalid UTF-8 spliced in; values swapped for huge numbers,
/// long strings, wrong types; deep nesting; form bodies with stray separators and broken escapes) across every service
/// — Secrets Manager, KMS, SSM, CloudTrail, IAM, STS and Strongroom's own API — against one real server. Asserts: no
/// 5xx, no reset connection, and an audit record for every call (so for every state change). The seed is printed, and
/// STRONGROOM_MUTATION_SEED / STRONGROOM_MUTATIONS replay or resize a run.
/// </summary>
[Collection("processes")]
public sealed class MutationTests : IClassFixture<HostileServer>
{
    private static readonly string[] Lone = ["\\ud800", "\\udc00\\ud800", "abc\\ud83d", "\\u0000", "\\uffff"];
    private static readonly byte[][] BadUtf8 = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]];
    private static readonly string[] Values = ["1e308", "-1e308", "9223372036854775808", "-1", "0", "null", "[]", "{}", "true", "\"\"", "\"\\u0000\\u0001\\ufffe\"", "1.5", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"];
    private static readonly string[] FormStrays = ["&=x", "=&=&=", "&&==&&%%", "%", "%Z", "%ZZ=1", "&a=%00", "&UserName=%EF%BF%BE", "&UserName=%ED%A0%80", "&UserName=a%01b", "&Tags.member.1.Key=%FF", "&Policy=%7B%22Sid%22%3A%22%5Cud800%22%7D", "&DurationSeconds=99999999999999999999", "&MaxItems=-5"];
    private readonly HostileServer _fixture;
    private readonly ITestOutputHelper _output;

    public MutationTests(HostileServer fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    private sealed record Template(string Service, string? Operation, string Body);

    private static List<Template> Templates(string keyId, string suffix) =>
    [
        new("secretsmanager", "CreateSecret", $"{{\"Name\":\"mut/c{suffix}\",\"SecretString\":\"v\",\"ClientRequestToken\":\"{Guid.NewGuid()}\",\"Description\":\"d\",\"Tags\":[{{\"Key\":\"k\",\"Value\":\"v\"}}]}}"),
        new("secretsmanager", "PutSecretValue", $"{{\"SecretId\":\"mut/s\",\"SecretString\":\"v2\",\"ClientRequestToken\":\"{Guid.NewGuid()}\",\"VersionStages\":[\"AWSCURRENT\"]}}"),
        new("secretsmanager", "GetSecretValue", "{\"SecretId\":\"mut/s\",\"VersionStage\":\"AWSCURRENT\"}"),
        new("secretsmanager", "DescribeSecret", "{\"SecretId\":\"mut/s\"}"),
        new("secretsmanager", "UpdateSecret", "{\"SecretId\":\"mut/s\",\"Description\":\"updated\"}"),
        new("secretsmanager", "TagResource", "{\"SecretId\":\"mut/s\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"a\"}]}"),
        new("secretsmanager", "ListSecrets", "{\"MaxResults\":5,\"Filters\":[{\"Key\":\"name\",\"Values\":[\"mut/\"]}]}"),
        new("secretsmanager", "RotateSecret", "{\"SecretId\":\"mut/s\",\"RotationLambdaARN\":\"arn:aws:lambda:us-east-1:000000000000:function:none\",\"RotationRules\":{\"ScheduleExpression\":\"rate(10 days)\",\"Duration\":\"2h\"},\"RotateImmediately\":false}"),
        new("secretsmanager", "PutResourcePolicy", "{\"SecretId\":\"mut/s\",\"ResourcePolicy\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Sid\\\":\\\"a\\\",\\\"Effect\\\":\\\"Deny\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::000000000000:user/nobody\\\"},\\\"Action\\\":\\\"secretsmanager:*\\\",\\\"Resource\\\":\\\"*\\\"}]}\"}"),
        new("secretsmanager", "UpdateSecretVersionStage", "{\"SecretId\":\"mut/s\",\"VersionStage\":\"STAGE1\",\"MoveToVersionId\":\"00000000-0000-0000-0000-000000000000\"}"),
        new("secretsmanager", "BatchGetSecretValue", "{\"SecretIdList\":[\"mut/s\",\"mut/none\"]}"),
        new("secretsmanager", "GetRandomPassword", "{\"PasswordLength\":20,\"ExcludeCharacters\":\"abc\"}"),
        new("kms", "Encrypt", $"{{\"KeyId\":\"{keyId}\",\"Plaintext\":\"aGVsbG8=\",\"EncryptionContext\":{{\"a\":\"b\"}}}}"),
        new("kms", "GenerateDataKey", $"{{\"KeyId\":\"{keyId}\",\"KeySpec\":\"AES_256\"}}"),
        new("kms", "Decrypt", "{\"CiphertextBlob\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8w\"}"),
        new("kms", "DescribeKey", $"{{\"KeyId\":\"{keyId}\"}}"),
        new("kms", "CreateAlias", $"{{\"AliasName\":\"alias/mut{suffix}\",\"TargetKeyId\":\"{keyId}\"}}"),
        new("kms", "TagResource", $"{{\"KeyId\":\"{keyId}\",\"Tags\":[{{\"TagKey\":\"a\",\"TagValue\":\"b\"}}]}}"),
        new("ssm", "PutParameter", $"{{\"Name\":\"/mut/p{suffix}\",\"Value\":\"v\",\"Type\":\"String\",\"Overwrite\":true,\"Tags\":[{{\"Key\":\"a\",\"Value\":\"b\"}}]}}"),
        new("ssm", "GetParameter", "{\"Name\":\"/mut/p\",\"WithDecryption\":true}"),
        new("ssm", "GetParameters", "{\"Names\":[\"arn:aws:ssm:us-east-1:000000000000:parameter/mut/p\",\"arn:x\",\"/aws/reference/secretsmanager/mut/s\"]}"),
        new("ssm", "GetParametersByPath", "{\"Path\":\"/mut\",\"Recursive\":true,\"MaxResults\":5}"),
        new("ssm", "LabelParameterVersion", "{\"Name\":\"/mut/p\",\"ParameterVersion\":1,\"Labels\":[\"l1\"]}"),
        new("cloudtrail", "LookupEvents", "{\"StartTime\":1700000000,\"EndTime\":\"2030-01-01T00:00:00Z\",\"MaxResults\":2,\"LookupAttributes\":[{\"AttributeKey\":\"EventName\",\"AttributeValue\":\"CreateSecret\"}]}"),
        new("strongroom", "CreateRotationFunction", $"{{\"Name\":\"mutfn{suffix}\",\"Kind\":\"Http\",\"Url\":\"https://127.0.0.1:9/rotate\",\"TimeoutSeconds\":30}}"),
        new("strongroom", "ListRotationFunctions", "{\"MaxResults\":5}"),
        new("strongroom", "ListRotationStatus", "{\"SecretId\":\"mut/s\"}"),
        new("strongroom", "ListEvents", "{\"Dead\":true,\"MaxResults\":5}"),
        new("strongroom", "RedeliverEvent", "{\"EventId\":\"00000000-0000-0000-0000-000000000000\"}"),
        new("strongroom", "ListRotationRuns", "{\"SecretId\":\"mut/s\",\"MaxResults\":5}"),
        // No VersionId: the secret's current version differs from "none", so even a mutation that drops WaitTimeSeconds answers at once.
        new("strongroom", "WatchSecrets", "{\"Secrets\":[{\"SecretId\":\"mut/s\"},{\"SecretId\":\"mut/none\",\"VersionId\":\"00000000-0000-0000-0000-000000000000\"}],\"WaitTimeSeconds\":0}"),
        new("strongroom", "ExplainAccess", "{\"UserName\":\"mutuser\",\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\",\"Context\":{\"aws:SourceIp\":\"127.0.0.1\"}}"),
        new("iam", null, $"Action=CreateUser&Version=2010-05-08&UserName=mu{suffix}&Path=%2Fmut%2F&Tags.member.1.Key=a&Tags.member.1.Value=b"),
        new("iam", null, "Action=PutUserPolicy&Version=2010-05-08&UserName=mutuser&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22secretsmanager%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"),
        new("iam", null, "Action=ListUsers&Version=2010-05-08&PathPrefix=%2F&MaxItems=5"),
        new("iam", null, "Action=TagUser&Version=2010-05-08&UserName=mutuser&Tags.member.1.Key=a&Tags.member.1.Value=b"),
        new("iam", null, $"Action=CreateRole&Version=2010-05-08&RoleName=mr{suffix}&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22*%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"),
        new("sts", null, "Action=GetCallerIdentity&Version=2011-06-15"),
        new("sts", null, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fmutrole&RoleSessionName=s1&DurationSeconds=900"),
    ];

    private static byte[] Mutate(Random random, Template template)
    {
        var body = Encoding.UTF8.GetBytes(template.Body);
        var form = template.Operation is null;
        var list = new List<byte>(body);
        var rounds = 1 + random.Next(3);
        for (var round = 0; round < rounds; round++)
        {
            var at = list.Count == 0 ? 0 : random.Next(list.Count + 1);
            switch (random.Next(form ? 9 : 10))
            {
                case 0 when list.Count > 0:
                    list[Math.Min(at, list.Count - 1)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    list.InsertRange(at, Enumerable.Range(0, 1 + random.Next(4)).Select(_ => (byte)random.Next(256)));
                    break;
                case 2 when list.Count > 0:
                    list.RemoveRange(Math.Min(at, list.Count - 1), Math.Min(1 + random.Next(8), list.Count - Math.Min(at, list.Count - 1)));
                    break;
                case 3:
                    list.InsertRange(at, Encoding.ASCII.GetBytes(Lone[random.Next(Lone.Length)]));
                    break;
                case 4:
                    list.InsertRange(at, BadUtf8[random.Next(BadUtf8.Length)]);
                    break;
                case 5:
                    list.RemoveRange(at, list.Count - at);
                    break;
                case 6:
                    list.AddRange(body);
                    break;
                case 7 when form:
                    list.AddRange(Encoding.ASCII.GetBytes(FormStrays[random.Next(FormStrays.Length)]));
                    break;
                case 8 when form:
                    list.AddRange(Encoding.ASCII.GetBytes("&Junk=" + new string('j', random.Next(2) == 0 ? 10 : 20_000)));
                    break;
                case 7:
                {
                    // Swap one value (after a ':') for a hostile one.
                    var text = Encoding.UTF8.GetString(list.ToArray());
                    var colon = text.IndexOf(':', Math.Min(at, text.Length));
                    if (colon >= 0)
                    {
                        var end = text.IndexOfAny([',', '}'], colon);
                        text = text[..(colon + 1)] + Values[random.Next(Values.Length)] + (end < 0 ? string.Empty : text[end..]);
                        list = [.. Encoding.UTF8.GetBytes(text)];
                    }

                    break;
                }

                case 8:
                {
                    var member = $"\"Junk{random.Next(100)}\":\"{new string('A', random.Next(2) == 0 ? 10 : 50_000)}\",";
                    var brace = list.IndexOf((byte)'{');
                    list.InsertRange(brace < 0 ? 0 : brace + 1, Encoding.UTF8.GetBytes(member));
                    break;
                }

                default:
                    list.InsertRange(at, Encoding.UTF8.GetBytes("\"\\ud800\":\"\\udfff\","));
                    break;
            }
        }

        return [.. list];
    }

    [Fact]
    public async Task MutatedSignedRequests_AcrossEveryService_NeverAnswer5xxOrReset_AndEveryCallIsRecorded()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("STRONGROOM_MUTATIONS"), out var n) ? n : 10_000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("STRONGROOM_MUTATION_SEED"), out var s) ? s : Environment.TickCount;
        _output.WriteLine($"mutation seed {seed}, {count} requests");
        using var client = new RawSigner(_fixture.Server.Endpoint);
        Assert.Equal(200, (await client.JsonAsync("secretsmanager", "CreateSecret", $"{{\"Name\":\"mut/s\",\"SecretString\":\"v\",\"ClientRequestToken\":\"{Guid.NewGuid()}\"}}")).Status);
        var key = await client.JsonAsync("kms", "CreateKey", "{\"Description\":\"mutation\"}");
        using var keyDocument = JsonDocument.Parse(key.Body);
        var keyId = keyDocument.RootElement.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        Assert.Equal(200, (await client.JsonAsync("ssm", "PutParameter", "{\"Name\":\"/mut/p\",\"Value\":\"v\",\"Type\":\"String\"}")).Status);
        Assert.Equal(200, (await client.FormAsync("iam", "Action=CreateUser&Version=2010-05-08&UserName=mutuser")).Status);

        // A quarter of the calls come from a non-admin user whom a policy allows everything, so the authoriser's own
        // reading of each request (resource names, ARNs, condition keys) meets the mutations too.
        Assert.Equal(200, (await client.FormAsync("iam", "Action=CreateUser&Version=2010-05-08&UserName=mutbob")).Status);
        Assert.Equal(200, (await client.FormAsync("iam", "Action=PutUserPolicy&Version=2010-05-08&UserName=mutbob&PolicyName=all&PolicyDocument=" + Uri.EscapeDataString("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"))).Status);
        var created = System.Xml.Linq.XDocument.Parse((await client.FormAsync("iam", "Action=CreateAccessKey&Version=2010-05-08&UserName=mutbob")).Body);
        string Element(string name) => created.Descendants().First(e => e.Name.LocalName == name).Value;
        using var user = new RawSigner(_fixture.Server.Endpoint, Element("AccessKeyId"), Element("SecretAccessKey"));

        var failures = new ConcurrentQueue<string>();
        var answers = new ConcurrentBag<(string RequestId, int Status, string Operation)>();
        var next = -1;
        var services = new ConcurrentDictionary<string, int>();
        var started = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
        {
            var random = new Random(seed + worker);
            while (Interlocked.Increment(ref next) < count)
            {
                var templates = Templates(keyId, random.Next(1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
                var template = templates[random.Next(templates.Count)];
                var body = Mutate(random, template);
                services.AddOrUpdate(template.Service, 1, (_, c) => c + 1);
                RawSigner.Answer answer;
                try
                {
                    var signer = random.Next(4) == 0 ? user : client;
                    answer = template.Operation is null
                        ? await signer.SendAsync(template.Service, null, RawSigner.FormType, body)
                        : await signer.SendAsync(template.Service, RawSigner.Target(template.Service, template.Operation), RawSigner.JsonType, body);
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{template.Service}.{template.Operation}: connection failed ({e.Message}); body {Convert.ToBase64String(body[..Math.Min(body.Length, 300)])}");
                    continue;
                }

                if (answer.Status >= 500)
                {
                    failures.Enqueue($"{template.Service}.{template.Operation ?? "query"}: {answer.Status} {answer.Body}; body {Convert.ToBase64String(body[..Math.Min(body.Length, 300)])}");
                }

                if (answer.RequestId is null)
                {
                    failures.Enqueue($"{template.Service}.{template.Operation}: {answer.Status} without a request id");
                }
                else
                {
                    answers.Add((answer.RequestId, answer.Status, template.Operation ?? template.Service));
                }
            }
        })));
        _output.WriteLine($"{count} mutated requests in {(DateTime.UtcNow - started).TotalSeconds:F1} s: " + string.Join(", ", services.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
        _output.WriteLine("statuses: " + string.Join(", ", answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}")));

        Assert.True(failures.IsEmpty, $"{failures.Count} failures (seed {seed}), first: " + string.Join("\n", failures.Take(10)));
        Assert.Equal(7, services.Count);
        var records = await _fixture.RecordsAsync(answers.Select(a => a.RequestId).ToList());
        var missing = answers.Where(a => !records.ContainsKey(a.RequestId)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} calls without an audit record, e.g. {string.Join(", ", missing.Take(5))}");
        var changes = answers.Where(a => a.Status == 200 && !records[a.RequestId].GetProperty("readOnly").GetBoolean()).ToList();
        Assert.All(changes, a => Assert.False(records[a.RequestId].TryGetProperty("errorCode", out _)));
        _output.WriteLine($"{changes.Count} state changes, each with its record");
        Assert.DoesNotContain(" at Strongroom.", _fixture.Server.Output, StringComparison.Ordinal);
    }
}
