using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace Strongroom.Bench;

/// <summary>
/// The load section: the ceiling endpoint, Strongroom's operations and moto's reads, each at every
/// connection count, each server in its own process.
/// </summary>
internal static class LoadSuite
{
    private const int ReadSecrets = 1000;
    private const int VersionedEvery = 10;
    private const int PutSecrets = 2000;
    private const string ReadPrefix = "bench/read/";

    private static string ReadName(int i) => $"{ReadPrefix}{i:D5}";

    private static bool Selected(BenchOptions options, string operation) =>
        options.Only is null || operation.Contains(options.Only, StringComparison.OrdinalIgnoreCase);

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    public static async Task RunAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        await RunCeilingAsync(options, report, workDir, ct);
        report.Save();
        await RunStrongroomAsync(options, report, workDir, ct);
        report.Save();
        if (options.Moto)
        {
            await RunMotoAsync(options, report, workDir, ct);
            report.Save();
        }
    }

    private static async Task<LoadResult> MeasureAsync(BenchOptions options, Report report, ServerProcess server, SigV4Signer signer, string target, string operation, int connections, Func<int, long, RequestSpec> next, CancellationToken ct)
    {
        Console.Error.WriteLine($"load: {target} {operation} x{connections}");
        var result = await LoadRunner.RunAsync(server.EndPoint, server.Pid, signer, connections, options.Warmup, options.Duration, next, ct);
        Console.Error.WriteLine($"      {result.Throughput:N0} req/s, p50 {result.P50Ms:0.###} ms, p99 {result.P99Ms:0.###} ms, p99.9 {result.P999Ms:0.###} ms, errors {result.Errors}");
        report.Load.Add(new LoadRow(target, operation, connections, result));
        if (result.FirstError is not null)
        {
            report.Notes.Add($"{target} {operation} x{connections}: {result.Errors} errors; first: {result.FirstError}");
        }

        if (server.HasExited)
        {
            throw new InvalidOperationException($"{server.Name} exited during {operation}");
        }

        return result;
    }

    private static async Task RunCeilingAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        await using var ceiling = await Servers.StartCeilingAsync(Path.Combine(workDir, "ceiling.log"), ct);
        // The same signed request as GetSecretValue by name, so the client does the same work per request.
        var signer = new SigV4Signer("AKIDBENCHCEILING", "ceiling-secret", Servers.Region);
        var bodies = Enumerable.Range(0, ReadSecrets).Select(i => Json(new { SecretId = ReadName(i) })).ToArray();
        foreach (var connections in options.Connections)
        {
            await MeasureAsync(options, report, ceiling, signer, "ceiling", "fixed 200-byte JSON", connections,
                (_, _) => new RequestSpec("secretsmanager.GetSecretValue", "secretsmanager", bodies[Random.Shared.Next(bodies.Length)]), ct);
        }
    }

    private static async Task RunStrongroomAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        var dataDir = Path.Combine(workDir, "load-data");
        await using var server = await Servers.StartStrongroomAsync(options, dataDir, Path.Combine(workDir, "strongroom-load.log"), ct);
        report.Notes.Add($"Strongroom (load section) started in {server.StartupTime.TotalMilliseconds:N0} ms on an empty data directory.");
        var signer = Servers.AdminSigner(dataDir);

        Console.Error.WriteLine($"load: seeding {ReadSecrets} read secrets ({ReadSecrets / VersionedEvery} with 10 versions) and {PutSecrets} put targets");
        var arns = new string[ReadSecrets];
        await AwsClient.ForEachAsync(server.EndPoint, signer, options.LoaderConnections, 0, ReadSecrets + PutSecrets, "seed", async (client, i) =>
        {
            var name = i < ReadSecrets ? ReadName((int)i) : $"bench/put/{i - ReadSecrets:D5}";
            var created = await client.CallAsync("secretsmanager.CreateSecret", new { Name = name, SecretString = Servers.SecretValue(i, "v0-"), ClientRequestToken = Guid.NewGuid().ToString() }, ct);
            if (i < ReadSecrets)
            {
                arns[i] = created.GetProperty("ARN").GetString()!;
                if (i % VersionedEvery == 0)
                {
                    for (var v = 1; v < 10; v++)
                    {
                        await client.CallAsync("secretsmanager.PutSecretValue", new { SecretId = name, SecretString = Servers.SecretValue(i, $"v{v}-"), ClientRequestToken = Guid.NewGuid().ToString() }, ct);
                    }
                }
            }
        }, ct);

        // GetSecretValue writes LastAccessedDate on the first read of a version each day; read every
        // version the cases read once now, so the timed reads are all repeat reads.
        await AwsClient.ForEachAsync(server.EndPoint, signer, options.LoaderConnections, 0, ReadSecrets, "first reads", async (client, i) =>
        {
            await client.CallAsync("secretsmanager.GetSecretValue", new { SecretId = ReadName((int)i) }, ct);
            if (i % VersionedEvery == 0)
            {
                await client.CallAsync("secretsmanager.GetSecretValue", new { SecretId = ReadName((int)i), VersionStage = "AWSPREVIOUS" }, ct);
            }
        }, ct);

        string keyId;
        byte[] decryptBody;
        using (var client = new AwsClient(server.EndPoint, signer))
        {
            var key = await client.CallAsync("TrentService.CreateKey", new { Description = "bench" }, ct);
            keyId = key.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            var context = new Dictionary<string, string> { ["purpose"] = "bench" };
            var dataKey = await client.CallAsync("TrentService.GenerateDataKey", new { KeyId = keyId, KeySpec = "AES_256", EncryptionContext = context }, ct);
            decryptBody = Json(new { CiphertextBlob = dataKey.GetProperty("CiphertextBlob").GetString(), EncryptionContext = context });
        }

        var byName = Enumerable.Range(0, ReadSecrets).Select(i => Json(new { SecretId = ReadName(i) })).ToArray();
        var byArn = arns.Select(a => Json(new { SecretId = a })).ToArray();
        var byStage = Enumerable.Range(0, ReadSecrets / VersionedEvery).Select(j => Json(new { SecretId = ReadName(j * VersionedEvery), VersionStage = "AWSPREVIOUS" })).ToArray();
        var batches = Enumerable.Range(0, ReadSecrets / 20).Select(b => Json(new { SecretIdList = Enumerable.Range(b * 20, 20).Select(ReadName).ToArray() })).ToArray();
        var list = Json(new { MaxResults = 100, Filters = new[] { new { Key = "name", Values = new[] { ReadPrefix } } } });
        var generate = Json(new { KeyId = keyId, KeySpec = "AES_256", EncryptionContext = new Dictionary<string, string> { ["purpose"] = "bench" } });
        long puts = 0;

        static RequestSpec Sm(string op, byte[] body) => new("secretsmanager." + op, "secretsmanager", body);
        static byte[] Pick(byte[][] bodies) => bodies[Random.Shared.Next(bodies.Length)];
        var cases = new (string Operation, Func<int, long, RequestSpec> Next)[]
        {
            ("GetSecretValue", (_, _) => Sm("GetSecretValue", Pick(byName))),
            ("GetSecretValue by ARN", (_, _) => Sm("GetSecretValue", Pick(byArn))),
            ("GetSecretValue by VersionStage", (_, _) => Sm("GetSecretValue", Pick(byStage))),
            ("DescribeSecret", (_, _) => Sm("DescribeSecret", Pick(byName))),
            ("BatchGetSecretValue (20)", (_, _) => Sm("BatchGetSecretValue", Pick(batches))),
            ("PutSecretValue", (_, _) =>
            {
                var n = Interlocked.Increment(ref puts);
                return Sm("PutSecretValue", Json(new { SecretId = $"bench/put/{n % PutSecrets:D5}", SecretString = Servers.SecretValue(n, "p-"), ClientRequestToken = Guid.NewGuid().ToString() }));
            }),
            ("ListSecrets (filtered page of 100)", (_, _) => Sm("ListSecrets", list)),
            ("KMS GenerateDataKey", (_, _) => new RequestSpec("TrentService.GenerateDataKey", "kms", generate)),
            ("KMS Decrypt", (_, _) => new RequestSpec("TrentService.Decrypt", "kms", decryptBody)),
        };

        foreach (var (operation, next) in cases.Where(c => Selected(options, c.Operation)))
        {
            foreach (var connections in options.Connections)
            {
                await MeasureAsync(options, report, server, signer, "strongroom", operation, connections, next, ct);
            }

            report.Save();
        }

        // The same reads by an IAM user, whom the access decision evaluates (the admin's calls build no checks): an
        // identity policy allowing GetSecretValue on the read secrets, kms:Decrypt through the AWS managed key's policy.
        if (Selected(options, IamUserCase))
        {
            var reader = await IamReaderAsync(server, signer, ct);
            foreach (var connections in options.Connections)
            {
                await MeasureAsync(options, report, server, reader, "strongroom", IamUserCase, connections, (_, _) => Sm("GetSecretValue", Pick(byName)), ct);
            }

            report.Save();
        }

        report.Notes.Add($"Strongroom RSS after the load section: {server.RssBytes() / 1024.0 / 1024.0:0} MiB; data directory {Servers.DirectoryBytes(dataDir) / 1024.0 / 1024.0:0.0} MiB.");
    }

    private const string IamUserCase = "GetSecretValue (IAM user)";

    /// <summary>Creates the IAM user bench-reader, allowed secretsmanager:GetSecretValue on bench/read/*, and signs as it.</summary>
    private static async Task<SigV4Signer> IamReaderAsync(ServerProcess server, SigV4Signer admin, CancellationToken ct)
    {
        const string user = "bench-reader";
        using var client = new AwsClient(server.EndPoint, admin);
        Task<string> Iam(params (string Key, string Value)[] parameters) =>
            client.QueryAsync("iam", parameters.Append((Key: "Version", Value: "2010-05-08")).ToDictionary(p => p.Key, p => p.Value), ct);
        await Iam(("Action", "CreateUser"), ("UserName", user));
        var policy = Encoding.UTF8.GetString(Json(new
        {
            Version = "2012-10-17",
            Statement = new[] { new { Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = $"arn:aws:secretsmanager:{Servers.Region}:*:secret:{ReadPrefix}*" } },
        }));
        await Iam(("Action", "PutUserPolicy"), ("UserName", user), ("PolicyName", "read"), ("PolicyDocument", policy));
        var key = XDocument.Parse(await Iam(("Action", "CreateAccessKey"), ("UserName", user)));
        string Element(string name) => key.Descendants().First(e => e.Name.LocalName == name).Value;
        return new SigV4Signer(Element("AccessKeyId"), Element("SecretAccessKey"), Servers.Region);
    }

    private static async Task RunMotoAsync(BenchOptions options, Report report, string workDir, CancellationToken ct)
    {
        await using var moto = await Servers.StartMotoAsync(Path.Combine(workDir, "moto.log"), ct);
        if (moto is null)
        {
            report.Notes.Add("moto_server is not on PATH: the peer rows were skipped.");
            return;
        }

        var signer = new SigV4Signer("AKIDBENCHMOTO", "moto-secret", Servers.Region);
        Console.Error.WriteLine($"load: seeding moto with {ReadSecrets} secrets");
        await AwsClient.ForEachAsync(moto.EndPoint, signer, 4, 0, ReadSecrets, "seed moto", async (client, i) =>
            await client.CallAsync("secretsmanager.CreateSecret", new { Name = ReadName((int)i), SecretString = Servers.SecretValue(i, "v0-") }, ct), ct);

        var byName = Enumerable.Range(0, ReadSecrets).Select(i => Json(new { SecretId = ReadName(i) })).ToArray();
        foreach (var operation in new[] { "GetSecretValue", "DescribeSecret" }.Where(o => Selected(options, o)))
        {
            foreach (var connections in options.Connections)
            {
                await MeasureAsync(options, report, moto, signer, "moto", operation, connections,
                    (_, _) => new RequestSpec("secretsmanager." + operation, "secretsmanager", byName[Random.Shared.Next(byName.Length)]), ct);
            }
        }
    }
}
