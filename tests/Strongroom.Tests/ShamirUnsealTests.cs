using System.Net;
using System.Text.Json;
using Xunit;

namespace Strongroom.Tests;

/// <summary>Shamir 5/3 custody: sealed start, unseal with the key holders' shares, seal again — with the AWS CLI.</summary>
[Collection("processes")]
public sealed class ShamirUnsealTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-shamir-").FullName;

    private string DataDir => Path.Combine(_dir, "data");

    private string SharesDir => Path.Combine(_dir, "shares");

    private string Credentials => Path.Combine(DataDir, "admin.credentials");

    public void Dispose() => Directory.Delete(_dir, true);

    private string Share(int number) => Path.Combine(SharesDir, "share-" + number);

    private static Task<(int ExitCode, string Output)> UnsealAsync(ServerProcess server, string shareFile) =>
        ServerProcess.RunAsync("operator", "unseal", "--endpoint-url", server.Endpoint.ToString(), "--share-file", shareFile);

    private static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(ServerProcess server)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(server.Endpoint, "/health/ready"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(int ExitCode, string Output)> AwsAsync(ServerProcess server, params string[] args) => await AwsCli.RunAsync(server.Endpoint, Credentials, args);

    [Fact]
    public async Task SealedStart_TwoSharesNotEnough_ThreeUnseal_WrongShareRejected_RestartSealed_SealWorks()
    {
        var (code, output) = await ServerProcess.RunAsync("admin", "init", "--data-dir", DataDir, "--root-key", "shamir", "--key-shares", "5", "--key-threshold", "3", "--shares-out", SharesDir);
        Assert.True(code == 0, output);
        Assert.Equal(5, Directory.GetFiles(SharesDir).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.All(Directory.GetFiles(SharesDir), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        }

        var fingerprint = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key.shamir"))).RootElement.GetProperty("fingerprint").GetString()!;
        Assert.Empty(KeyMaterialScan.FilesHolding(DataDir, fingerprint));

        await using (var server = await ServerProcess.StartSealedAsync(DataDir))
        {
            var (status, body) = await ReadyAsync(server);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.StartsWith("sealed", body, StringComparison.Ordinal);
            (code, output) = await AwsAsync(server, "secretsmanager", "list-secrets");
            Assert.NotEqual(0, code);
            Assert.Contains("(ServiceUnavailable)", output, StringComparison.Ordinal);
            Assert.Contains("Strongroom is sealed", output, StringComparison.Ordinal);
            (code, output) = await AwsAsync(server, "iam", "list-users");
            Assert.Contains("(ServiceUnavailable)", output, StringComparison.Ordinal);

            // Two shares are not enough.
            Assert.Contains("1 of 3", (await UnsealAsync(server, Share(1))).Output, StringComparison.Ordinal);
            Assert.Contains("2 of 3", (await UnsealAsync(server, Share(2))).Output, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyAsync(server)).Status);

            // A corrupted share is refused and the attempt starts again.
            var text = (await File.ReadAllTextAsync(Share(3))).Trim();
            var corrupted = Path.Combine(_dir, "corrupted");
            await File.WriteAllTextAsync(corrupted, text[..^1] + (text[^1] == '0' ? '1' : '0'));
            (code, output) = await UnsealAsync(server, corrupted);
            Assert.Equal(1, code);
            Assert.Contains("share 3 is wrong or corrupted", output, StringComparison.Ordinal);
            Assert.Contains("reset", output, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyAsync(server)).Status);

            // Three good shares unseal (after the reset, from the start again), read from standard input too.
            Assert.Contains("1 of 3", (await UnsealAsync(server, Share(5))).Output, StringComparison.Ordinal);
            Assert.Contains("2 of 3", (await UnsealAsync(server, Share(1))).Output, StringComparison.Ordinal);
            var info = ServerProcess.Command("operator", "unseal", "--endpoint-url", server.Endpoint.ToString());
            info.RedirectStandardInput = true;
            using (var process = System.Diagnostics.Process.Start(info)!)
            {
                await process.StandardInput.WriteLineAsync(text);
                process.StandardInput.Close();
                var unsealed = await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                Assert.Contains("3 of 3 shares (of 5); unsealed", unsealed, StringComparison.Ordinal);
            }

            await server.WaitUntilAsync("/health/ready");
            (code, output) = await AwsAsync(server, "secretsmanager", "create-secret", "--name", "vault", "--secret-string", "behind-five-shares");
            Assert.True(code == 0, output);
            Assert.DoesNotContain(text, server.Output, StringComparison.Ordinal);
            Assert.Equal(0, await server.TerminateAsync());
        }

        // A restart is sealed again; three other shares unseal it and the secret is there.
        await using (var server = await ServerProcess.StartSealedAsync(DataDir))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ReadyAsync(server)).Status);
            (code, output) = await AwsAsync(server, "secretsmanager", "get-secret-value", "--secret-id", "vault");
            Assert.Contains("(ServiceUnavailable)", output, StringComparison.Ordinal);
            foreach (var number in new[] { 2, 4, 5 })
            {
                Assert.Equal(0, (await UnsealAsync(server, Share(number))).ExitCode);
            }

            await server.WaitUntilAsync("/health/ready");
            (code, output) = await AwsAsync(server, "secretsmanager", "get-secret-value", "--secret-id", "vault", "--query", "SecretString", "--output", "text");
            Assert.True(code == 0, output);
            Assert.Equal("behind-five-shares", output.Trim());

            // Seal is for the administrator only: a user allowed strongroom:* is refused.
            Assert.Equal(0, (await AwsAsync(server, "iam", "create-user", "--user-name", "operator")).ExitCode);
            Assert.Equal(0, (await AwsAsync(server, "iam", "put-user-policy", "--user-name", "operator", "--policy-name", "all", "--policy-document", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}")).ExitCode);
            (code, output) = await AwsAsync(server, "iam", "create-access-key", "--user-name", "operator");
            var key = JsonDocument.Parse(output).RootElement.GetProperty("AccessKey");
            var operatorCredentials = Path.Combine(_dir, "operator.credentials");
            await File.WriteAllTextAsync(operatorCredentials, $"[default]\naws_access_key_id = {key.GetProperty("AccessKeyId").GetString()}\naws_secret_access_key = {key.GetProperty("SecretAccessKey").GetString()}\n");
            var environment = new Dictionary<string, string> { ["AWS_SHARED_CREDENTIALS_FILE"] = operatorCredentials, ["AWS_CONFIG_FILE"] = "/dev/null", ["AWS_REGION"] = "us-east-1" };
            (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, "operator", "seal", "--endpoint-url", server.Endpoint.ToString());
            Assert.NotEqual(0, code);
            Assert.Contains("AccessDeniedException", output, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(server)).Status);

            environment["AWS_SHARED_CREDENTIALS_FILE"] = Credentials;
            (code, output) = await ServerProcess.RunWithEnvironmentAsync(environment, "operator", "seal", "--endpoint-url", server.Endpoint.ToString());
            Assert.True(code == 0, output);
            await WaitSealedAsync(server);
            (code, output) = await AwsAsync(server, "secretsmanager", "get-secret-value", "--secret-id", "vault");
            Assert.Contains("(ServiceUnavailable)", output, StringComparison.Ordinal);

            // Wrong shares are rate-limited: after five, even a right share waits.
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(1, (await UnsealAsync(server, Path.Combine(_dir, "corrupted"))).ExitCode);
            }

            (code, output) = await UnsealAsync(server, Share(1));
            Assert.Equal(1, code);
            Assert.Contains("too many wrong shares", output, StringComparison.Ordinal);
            Assert.Equal(0, await server.TerminateAsync());
        }

        // The wrong and the throttled attempts of that run (stopped sealed) reach the trail at the next unseal.
        await using (var server = await ServerProcess.StartSealedAsync(DataDir))
        {
            foreach (var number in new[] { 1, 2, 3 })
            {
                Assert.Equal(0, (await UnsealAsync(server, Share(number))).ExitCode);
            }

            await server.WaitUntilAsync("/health/ready");
            (code, output) = await AwsAsync(server, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=UnsealAttempt", "--output", "json");
            Assert.True(code == 0, output);
            var outcomes = JsonDocument.Parse(output).RootElement.GetProperty("Events").EnumerateArray()
                .Select(e => JsonDocument.Parse(e.GetProperty("CloudTrailEvent").GetString()!).RootElement.GetProperty("serviceEventDetails").GetProperty("outcome").GetString()!).ToList();
            Assert.Single(outcomes, o => o.StartsWith("too many wrong shares", StringComparison.Ordinal));
            Assert.True(outcomes.Count(o => o.Contains("share 3 is wrong or corrupted", StringComparison.Ordinal)) >= 6, string.Join("\n", outcomes));
            Assert.Equal(0, await server.TerminateAsync());
        }

        // Every unseal attempt that led to an unseal is in the audit trail, and so are the seal call and the seal.
        var (_, trail) = await ServerProcess.RunAsync("audit", "export", "--data-dir", DataDir);
        Assert.Contains("\"eventName\":\"UnsealAttempt\"", trail, StringComparison.Ordinal);
        Assert.Contains("share 3 is wrong or corrupted", trail, StringComparison.Ordinal);
        Assert.Contains("\"eventName\":\"Seal\"", trail, StringComparison.Ordinal);
        Assert.Contains("\"eventName\":\"Sealed\"", trail, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(Share(1)).Trim().Split(':')[3], trail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InitWithoutSharesOut_PrintsTheSharesOnce_AttemptsOnANeverUnsealedRun_ReachTheTrailAtTheNextUnseal()
    {
        var (code, output) = await ServerProcess.RunAsync("admin", "init", "--data-dir", DataDir, "--root-key", "shamir", "--key-shares", "5", "--key-threshold", "3");
        Assert.True(code == 0, output);
        var printed = output.Split('\n').Where(l => l.StartsWith("share ", StringComparison.Ordinal)).Select(l => l.Split(": ", 2)[1].Trim()).ToList();
        Assert.Equal(5, printed.Count);
        Assert.All(printed, (share, i) => Assert.StartsWith($"strongroom-share-v1:", share, StringComparison.Ordinal));
        Assert.Contains("printed this once and written nowhere", output, StringComparison.Ordinal);

        // Written nowhere: no share file, and no share (nor the key) in the data directory.
        Assert.Empty(Directory.GetFiles(_dir, "share-*", SearchOption.AllDirectories));
        var fingerprint = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "root.key.shamir"))).RootElement.GetProperty("fingerprint").GetString()!;
        Assert.Empty(KeyMaterialScan.FilesHolding(DataDir, fingerprint));
        AssertNoShareIn(DataDir, printed);
        var files = new List<string>();
        for (var i = 0; i < printed.Count; i++)
        {
            files.Add(Path.Combine(_dir, "holder-" + (i + 1)));
            await File.WriteAllTextAsync(files[i], printed[i] + "\n");
        }

        var corrupted = Path.Combine(_dir, "corrupted");
        await File.WriteAllTextAsync(corrupted, printed[2][..^1] + (printed[2][^1] == '0' ? '1' : '0'));

        // A run that is never unsealed: a wrong share and a good one, then the server stops.
        await using (var server = await ServerProcess.StartSealedAsync(DataDir))
        {
            Assert.Equal(1, (await UnsealAsync(server, corrupted)).ExitCode);
            Assert.Contains("1 of 3", (await UnsealAsync(server, files[0])).Output, StringComparison.Ordinal);
            Assert.Equal(0, await server.TerminateAsync());
        }

        Assert.True(File.Exists(Path.Combine(DataDir, "unseal-attempts.jsonl")));
        AssertNoShareIn(DataDir, printed);

        // The next run is unsealed by three printed shares; every attempt of both runs is in the trail.
        await using (var server = await ServerProcess.StartSealedAsync(DataDir))
        {
            foreach (var number in new[] { 2, 4, 5 })
            {
                Assert.Equal(0, (await UnsealAsync(server, files[number - 1])).ExitCode);
            }

            await server.WaitUntilAsync("/health/ready");
            (code, output) = await AwsAsync(server, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=UnsealAttempt", "--output", "json");
            Assert.True(code == 0, output);
            var details = JsonDocument.Parse(output).RootElement.GetProperty("Events").EnumerateArray()
                .Select(e => JsonDocument.Parse(e.GetProperty("CloudTrailEvent").GetString()!).RootElement.GetProperty("serviceEventDetails"))
                .OrderBy(d => d.GetProperty("attemptTime").GetString(), StringComparer.Ordinal).ToList();
            Assert.Equal(["false", "true", "true", "true", "true"], details.Select(d => d.GetProperty("accepted").GetString()));
            Assert.Contains("share 3 is wrong or corrupted", details[0].GetProperty("outcome").GetString(), StringComparison.Ordinal);
            Assert.Equal("unsealed", details[4].GetProperty("outcome").GetString());
            Assert.All(printed, share => Assert.DoesNotContain(share.Split(':')[3], output, StringComparison.Ordinal));
            (code, output) = await AwsAsync(server, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Unsealed", "--output", "json");
            Assert.Single(JsonDocument.Parse(output).RootElement.GetProperty("Events").EnumerateArray());
            Assert.False(File.Exists(Path.Combine(DataDir, "unseal-attempts.jsonl")));
            Assert.Equal(0, await server.TerminateAsync());
        }
    }

    private static void AssertNoShareIn(string directory, IReadOnlyList<string> shares)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file));
            Assert.All(shares, share => Assert.DoesNotContain(share.Split(':')[3], text, StringComparison.OrdinalIgnoreCase));
        }
    }

    private static async Task WaitSealedAsync(ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var (status, body) = await ReadyAsync(server);
                if (status == HttpStatusCode.ServiceUnavailable && body.StartsWith("sealed", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // between the two listeners
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the server did not seal:\n" + server.Output);
    }
}
