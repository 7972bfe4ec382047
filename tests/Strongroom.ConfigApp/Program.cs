using Microsoft.Extensions.Options;
using Npgsql;
using Strongroom.Client;
using Strongroom.ConfigApp;

// STRONGROOM_ENDPOINT, DB_SECRET_ID, LISTEN (127.0.0.1:PORT); credentials from the AWS chain.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls("http://" + (Environment.GetEnvironmentVariable("LISTEN") ?? "127.0.0.1:5080"));
builder.Configuration.AddStrongroomSecrets(o =>
{
    o.EndpointUrl = Environment.GetEnvironmentVariable("STRONGROOM_ENDPOINT");
    o.Secret(Environment.GetEnvironmentVariable("DB_SECRET_ID") ?? throw new InvalidOperationException("DB_SECRET_ID is not set"), "Database");
});
builder.Services.Configure<DatabaseOptions>(builder.Configuration.GetSection("Database"));
var app = builder.Build();

// One fresh connection per request (no pool), with the credentials the configuration holds now.
app.MapGet("/db", async (IOptionsMonitor<DatabaseOptions> monitor, CancellationToken ct) =>
{
    var db = monitor.CurrentValue;
    var connection = new NpgsqlConnectionStringBuilder { Host = db.Host, Port = db.Port, Username = db.Username, Password = db.Password, Database = db.Dbname, Pooling = false, Timeout = 5 };
    try
    {
        await using var conn = new NpgsqlConnection(connection.ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        await cmd.ExecuteScalarAsync(ct);
        return Results.Text("ok " + db.Username);
    }
    catch (NpgsqlException e)
    {
        return Results.Text("failed " + db.Username + ": " + e.Message, statusCode: 503);
    }
});
app.MapGet("/ping", () => "ok");
await app.RunAsync();
