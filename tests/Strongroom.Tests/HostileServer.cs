using System.Text.Json;

using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// A dev server (SQLite) that also writes every durable audit record to a JSON-lines file, so a test can find the
/// record of each call by its request id. Shared by the hostile-input tests of one class.
/// </summary>
public sealed class HostileServer : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sr-hostile-").FullName;
    private ServerProcess? _server;

    internal ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public string AuditFile => Path.Combine(_dir, "audit.jsonl");

    public async Task InitializeAsync() =>
        _server = await ServerProcess.StartAsync(null, dev: true, extra: ["--audit-file", AuditFile, "--log-format", "text"]);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Every record in the audit file by request id (waits up to 10 s for the ones asked for to arrive).</summary>
    public async Task<Dictionary<string, JsonElement>> RecordsAsync(IReadOnlyCollection<string> wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var records = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (File.Exists(AuditFile))
            {
                using var stream = new FileStream(AuditFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    try
                    {
                        using var document = JsonDocument.Parse(line);
                        var record = document.RootElement.TryGetProperty("record", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : document.RootElement;
                        if (record.TryGetProperty("requestID", out var id) && id.GetString() is { } requestId)
                        {
                            records[requestId] = record.Clone();
                        }
                    }
                    catch (JsonException)
                    {
                        // a line being written
                    }
                }
            }

            if (wanted.All(records.ContainsKey) || DateTime.UtcNow > deadline)
            {
                return records;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The record of one call.</summary>
    public async Task<JsonElement> RecordAsync(string? requestId)
    {
        Assert.NotNull(requestId);
        var records = await RecordsAsync([requestId!]);
        Assert.True(records.TryGetValue(requestId!, out var record), $"no audit record for request {requestId}");
        return record;
    }
}
