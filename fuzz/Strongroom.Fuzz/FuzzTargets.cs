using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Policies;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Crypto;
using Strongroom.Protocol.Aws;
using Strongroom.Protocol.Aws.Auth;
using Strongroom.Protocol.Aws.Iam;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Fuzz;

/// <summary>
/// The fuzz targets: each feeds untrusted bytes to one parser or decoder the way the server does and swallows only the
/// errors that parser is documented to raise (AWS's error, a domain error, a policy syntax error, the one crypto
/// failure). Any other exception is a finding: the fuzzer records it as a crash, and its input becomes a regression
/// input under fuzz/regressions/ that the tests replay. Thread-safe (no shared mutable state).
/// </summary>
public static class FuzzTargets
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    // Made on first use: instrumented code must not run before SharpFuzz has set up AFL's shared memory.
    private static SigV4Verifier? _verifier;
    private static readonly (string Service, string Operation)[] Operations =
        [("secretsmanager", "CreateSecret"), ("secretsmanager", "PutSecretValue"), ("kms", "Encrypt"), ("ssm", "PutParameter"), ("cloudtrail", "LookupEvents"), ("strongroom", "CreateRotationFunction")];

    /// <summary>The target names, as the command line and the corpus folders name them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["json", "query", "sigv4", "policy", "ciphertext", "schedule"];

    public static void Run(string target, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        switch (target)
        {
            case "json": Json(data); break;
            case "query": Query(data); break;
            case "sigv4": SigV4(data); break;
            case "policy": Policy(data); break;
            case "ciphertext": Ciphertext(data); break;
            case "schedule": Schedule(data); break;
            default: throw new ArgumentException($"unknown target '{target}' (known: {string.Join(", ", Names)})", nameof(target));
        }
    }

    /// <summary>The JSON edge: decode once, read typed members, build every audit shape, read an answer's identifiers.</summary>
    private static void Json(byte[] data)
    {
        // An answer's identifiers are read after the effect: that reader must accept any bytes.
        _ = AuditShape.FromResponse("secretsmanager", data, readOnly: false);
        try
        {
            using var input = JsonInput.Parse(data);
            foreach (var (service, operation) in Operations)
            {
                _ = AuditShape.RequestParameters(service, operation, input);
            }

            Swallow(() => input.String("Name"));
            Swallow(() => input.Long("MaxResults"));
            Swallow(() => input.Int("PasswordLength"));
            Swallow(() => input.Bool("Overwrite"));
            Swallow(() => input.Map("EncryptionContext"));
            Swallow(() => input.StringList("Names"));
            Swallow(() => input.Blob("Plaintext"));
            Swallow(() => input.Array("Tags")?.ForEach(tag => JsonInput.String(JsonInput.Structure(tag, "Tags"), "Key")));
        }
        catch (DomainException)
        {
            // SerializationException: not JSON, not an object, or not decodable text.
        }
    }

    private static void Swallow(Func<object?> read)
    {
        try
        {
            _ = read();
        }
        catch (DomainException)
        {
            // a member of the wrong type
        }
    }

    private static void Swallow(Action read) => Swallow(() =>
    {
        read();
        return null;
    });

    /// <summary>The Query edge: strict form decoding, the audit shapes, and every value written into an XML error.</summary>
    private static void Query(byte[] data)
    {
        QueryRequest query;
        try
        {
            query = QueryRequest.Parse(data);
        }
        catch (AwsError)
        {
            return;
        }

        _ = AuditShape.RequestParameters("iam", "CreateUser", query);
        _ = AuditShape.RequestParameters("sts", "AssumeRole", query);
        _ = query.List("Tags");
        _ = query.Pairs("Tags");
        _ = query.Int("MaxItems");
        foreach (var (name, value) in query.All)
        {
            _ = QueryWriter.Error(IamApi.IamNamespace, new AwsError("ValidationError", $"Value '{value}' at '{name}' failed to satisfy constraint"), "request-id");
            using var writer = new QueryWriter("CreateUser", IamApi.IamNamespace, "request-id");
            _ = writer.Element("Value", value).Finish();
        }
    }

    /// <summary>SigV4: lines are Authorization, X-Amz-Date, X-Amz-Content-Sha256, then the body.</summary>
    private static void SigV4(byte[] data)
    {
        var parts = Encoding.UTF8.GetString(data).Split('\n', 4);
        string? Part(int i) => i < parts.Length ? parts[i] : null;
        var headers = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["authorization"] = Part(0),
            ["x-amz-date"] = Part(1),
            ["x-amz-content-sha256"] = Part(2),
            ["host"] = "localhost:4566",
            ["content-type"] = "application/x-amz-json-1.1",
            ["x-amz-target"] = "secretsmanager.ListSecrets",
        };
        var request = new SigV4Request("POST", "/", string.Empty, name => headers.TryGetValue(name, out var value) && value is not null ? [value] : [], Encoding.UTF8.GetBytes(Part(3) ?? string.Empty));
        try
        {
            _verifier ??= new SigV4Verifier(new FixedCredentials(), new FixedTime());
            _ = _verifier.VerifyAsync(request, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
        catch (AwsError)
        {
            // every authentication failure
        }
    }

    private static void Policy(byte[] data)
    {
        try
        {
            _ = PolicyDocument.Parse(Encoding.UTF8.GetString(data), requirePrincipal: data.Length % 2 == 0);
        }
        catch (PolicySyntaxException)
        {
            // MalformedPolicyDocument
        }
    }

    /// <summary>The stored and wire ciphertext formats: KMS blobs, secret envelopes, root-wrapped keys.</summary>
    private static void Ciphertext(byte[] data)
    {
        Decode(() => KmsCiphertextBlob.ReadHeader(data));
        Decode(() => KmsCiphertextBlob.Open(data, Key, "{}"u8));
        Decode(() => SecretEnvelope.ReadHeader(data));
        Decode(() => SecretEnvelope.Open(data, Key, "{}"u8));
        using var root = new RootKey(Key);
        Decode(() => WrappedKey.Unwrap(root, data, "arn:aws:kms:us-east-1:000000000000:key/x#1"));
    }

    private static void Decode(Func<object> decode)
    {
        try
        {
            _ = decode();
        }
        catch (CryptoFailureException)
        {
            // the one failure every decoder raises
        }
    }

    /// <summary>Rotation rules: lines are ScheduleExpression, Duration and AutomaticallyAfterDays.</summary>
    private static void Schedule(byte[] data)
    {
        var parts = Encoding.UTF8.GetString(data).Split('\n', 3);
        var days = parts.Length > 2 && long.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : (long?)null;
        var rules = new RotationRules(days, parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null, parts[0].Length > 0 ? parts[0] : null);
        try
        {
            RotationSchedule.ValidateRules(rules);
            var next = RotationSchedule.NextRotationDate(rules, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            if (next is { } end)
            {
                _ = RotationSchedule.WindowStart(rules, end);
            }
        }
        catch (DomainException)
        {
            // InvalidParameterException / ValidationException
        }
    }
}
