using System.Text;
using Strongroom.Core.Audit;

namespace Strongroom.Server;

/// <summary>Appends durable audit records to a JSON-lines file (mode 0600) for shipping to a SIEM.</summary>
public sealed class AuditFileSink : IDisposable
{
    private readonly FileStream _stream;

    public AuditFileSink(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows() && !File.Exists(path))
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _stream = new FileStream(path, options);
    }

    public void Write(IReadOnlyList<AuditRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_stream)
        {
            foreach (var row in rows)
            {
                _stream.Write(Encoding.UTF8.GetBytes(row.Record));
                _stream.WriteByte((byte)'\n');
            }

            _stream.Flush();
        }
    }

    public void Dispose() => _stream.Dispose();
}
