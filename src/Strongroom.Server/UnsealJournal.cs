using System.Text;
using System.Text.Json;

namespace Strongroom.Server;

/// <summary>
/// The unseal attempts made on a sealed server, kept in DATA_DIR/unseal-attempts.jsonl until the audit trail can take
/// them (ADR 0029): the trail is in the store, which is not opened while sealed. Each attempt is one JSON line (time,
/// source address, accepted, the outcome's message — never the share), appended and flushed to disk at once, so the
/// attempts on a server that is stopped without ever being unsealed reach the trail at its next unseal. At most
/// <see cref="MaxEntries"/> a sealed run; one more line then says that later attempts were dropped. Thread-safe.
/// </summary>
public sealed class UnsealJournal
{
    public const string FileName = "unseal-attempts.jsonl";
    public const int MaxEntries = 1000;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly string _path;
    private readonly Lock _gate = new();
    private int _written;

    public UnsealJournal(string dataDir)
    {
        _path = Path.Combine(dataDir, FileName);
    }

    /// <summary>Appends <paramref name="attempt"/> (or, past the cap, counts it); false when the journal cannot be written (the attempt is still logged).</summary>
    public bool Append(SealedServer.Attempt attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        lock (_gate)
        {
            _written++;
            if (_written > MaxEntries + 1)
            {
                return true;
            }

            var entry = _written <= MaxEntries
                ? attempt
                : attempt with { Accepted = false, Message = $"more than {MaxEntries} unseal attempts in one sealed run; later attempts were not recorded" };
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var stream = new FileStream(_path, options);
                stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n"));
                stream.Flush(flushToDisk: true);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    /// <summary>The journalled attempts of <paramref name="dataDir"/>, oldest first; a line torn by a crash is skipped.</summary>
    public static IReadOnlyList<SealedServer.Attempt> Read(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path))
        {
            return [];
        }

        var attempts = new List<SealedServer.Attempt>();
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                if (JsonSerializer.Deserialize<SealedServer.Attempt>(line, Json) is { SourceAddress: not null, Message: not null } attempt)
                {
                    attempts.Add(attempt);
                }
            }
            catch (JsonException)
            {
                // A line cut short by a crash while it was written.
            }
        }

        return attempts;
    }

    /// <summary>Removes the journal once its attempts are in the audit trail.</summary>
    public static void Delete(string dataDir) => File.Delete(Path.Combine(dataDir, FileName));
}
