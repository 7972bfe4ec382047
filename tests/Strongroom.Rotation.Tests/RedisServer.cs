using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Strongroom.Storage.Tests;
using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>
/// A throw-away Debian redis-server (/usr/bin/redis-server) in a temp directory on a free loopback port. Users live in
/// an ACL file there, so what was saved (ACL SAVE) survives <see cref="Stop"/> and <see cref="Start"/>. The admin is
/// the <c>default</c> user with <see cref="MasterPassword"/>. Commands go over a plain socket in RESP (the protocol is
/// a few lines of text), so the checks do not depend on the client library the rotators use.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly string dir;
    private Process? server;

    public RedisServer()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} not found: install Debian's redis-server package");
        }

        dir = Directory.CreateTempSubdirectory("strongroom-redis-").FullName;
        Port = Proc.FreePort();
        MasterPassword = Proc.RandomPassword();
        File.WriteAllText(Path.Combine(dir, "users.acl"), string.Empty);
        try
        {
            Start();
            Command(null, "ACL", "SETUSER", "default", "on", "resetpass", ">" + MasterPassword);
            Admin("ACL", "SAVE");
        }
        catch
        {
            // xunit does not dispose a fixture whose constructor throws: leave no server or directory behind.
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    public string MasterPassword { get; }

    public void Start()
    {
        var psi = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = false };
        foreach (string a in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir,
            "--aclfile", Path.Combine(dir, "users.acl"), "--save", string.Empty, "--appendonly", "no", "--daemonize", "no",
            "--logfile", Path.Combine(dir, "redis.log"),
        })
        {
            psi.ArgumentList.Add(a);
        }

        server = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var client = new TcpClient("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                Thread.Sleep(100);
            }
            catch (SocketException e)
            {
                string log = File.Exists(Path.Combine(dir, "redis.log")) ? File.ReadAllText(Path.Combine(dir, "redis.log")) : "(no log)";
                throw new InvalidOperationException($"redis-server did not start: {e.Message}\n{log}", e);
            }
        }
    }

    /// <summary>Stops the server this fixture started (SIGTERM to its own PID, then wait).</summary>
    public void Stop()
    {
        if (server is null || server.HasExited)
        {
            server = null;
            return;
        }

        Proc.Run("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!server.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            server.Kill();
            server.WaitForExit();
        }

        server.Dispose();
        server = null;
    }

    /// <summary>AUTH user password: Redis's answer line ("+OK", "-WRONGPASS …").</summary>
    public string Auth(string user, string password) => Command((user, password), "PING");

    /// <summary>A command as the admin; its answer as text (one line per element for an array).</summary>
    public string Admin(params string[] args) => Command(("default", MasterPassword), args);

    /// <summary>Runs one command after AUTH (when given); the AUTH answer if it failed, else the command's answer.</summary>
    public string Command((string User, string Password)? auth, params string[] args)
    {
        using var client = new TcpClient("127.0.0.1", Port);
        client.ReceiveTimeout = 5000;
        using NetworkStream stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (auth is { } a)
        {
            Send(stream, ["AUTH", a.User, a.Password]);
            string answer = Read(reader);
            if (!answer.StartsWith('+'))
            {
                return answer;
            }
        }

        Send(stream, args);
        return Read(reader);
    }

    private static void Send(NetworkStream stream, string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (string arg in args)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        stream.Write(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    private static string Read(StreamReader reader)
    {
        string line = reader.ReadLine() ?? throw new IOException("Redis closed the connection");
        switch (line[0])
        {
            case '$':
                int n = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                if (n < 0)
                {
                    return "(nil)";
                }

                string bulk = reader.ReadLine() ?? string.Empty;
                return bulk;
            case '*':
                int count = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                return string.Join("\n", Enumerable.Range(0, Math.Max(count, 0)).Select(_ => Read(reader)));
            default:
                return line;
        }
    }

    public void Dispose()
    {
        Stop();
        Directory.Delete(dir, recursive: true);
    }
}

