using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Bench.Micro;

/// <summary>
/// Writing a GetSecretValue answer the way the server does: ApiEndpoint's ArrayBufferWriter(512) and
/// Utf8JsonWriter, with the members of SecretsManagerApi.WriteValue (a private method, mirrored here).
/// </summary>
[MemoryDiagnoser]
public class JsonBenchmarks
{
    private SecretRecord _secret = null!;
    private SecretVersionRecord _version = null!;
    private string _value = null!;

    [GlobalSetup]
    public void Setup()
    {
        _secret = new SecretRecord
        {
            Region = "us-east-1",
            Name = "bench/read/00042",
            Arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:bench/read/00042-AbCdEf",
            CreatedDate = DateTimeOffset.UtcNow,
        };
        _version = new SecretVersionRecord { VersionId = "0b2c7a4e-3f1d-4c55-9a0e-6f1b2d3c4e5f", CreatedDate = DateTimeOffset.UtcNow, Stages = ["AWSCURRENT"] };
        _value = Servers.SecretValue(42, "v0-");
    }

    [Benchmark]
    public int WriteGetSecretValueAnswer()
    {
        var output = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteString("ARN", _secret.Arn);
            w.WriteString("Name", _secret.Name);
            w.WriteString("VersionId", _version.VersionId);
            w.WriteString("SecretString", _value);
            JsonOutput.StringArray(w, "VersionStages", _version.Stages);
            JsonOutput.Timestamp(w, "CreatedDate", _version.CreatedDate);
            w.WriteEndObject();
        }

        return output.WrittenCount;
    }
}
