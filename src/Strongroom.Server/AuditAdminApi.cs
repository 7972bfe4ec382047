using System.Text.Json;
using Microsoft.Extensions.Logging;
using Strongroom.Core.Audit;

namespace Strongroom.Server;

/// <summary>
/// Strongroom.VerifyAuditTrail: the check `strongroom audit verify` makes (every record's chain link, no gaps, every
/// signed digest), over the API, so the console can show whether the trail verifies. Open to the admin and to
/// principals an IAM policy allows strongroom:VerifyAuditTrail (the authorizer decides before this runs); the call
/// is audited like every other. It reads the whole trail, so verifications run one at a time. It checks with the
/// public key stored beside the trail: it proves the chain and digests consistent, not that the key was never
/// replaced — for that, `strongroom audit verify --public-key` with the key published out of band.
/// </summary>
public sealed partial class AuditAdminApi : IDisposable
{
    public const string VerifyOperation = "VerifyAuditTrail";
    private readonly Core.Storage.IStore _store;
    private readonly string _archiveDirectory;
    private readonly ILogger<AuditAdminApi> _logger;
    private readonly SemaphoreSlim _one = new(1, 1);

    public AuditAdminApi(Core.Storage.IStore store, string archiveDirectory, ILogger<AuditAdminApi> logger)
    {
        _store = store;
        _archiveDirectory = archiveDirectory;
        _logger = logger;
    }

    public void Dispose() => _one.Dispose();

    /// <summary>Writes {Verified, Records, Digests, UnsignedTail, FirstBadSeq?, Message, PublicKey: "stored"}.</summary>
    public async Task VerifyAsync(Utf8JsonWriter writer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writer);
        AuditVerification result;
        await _one.WaitAsync(ct);
        try
        {
            var pem = await _store.GetSettingAsync(AuditSigner.PublicKeySetting, ct);
            result = pem is null
                ? new AuditVerification(false, 0, 0, 0, null, "no audit public key is stored yet")
                : await AuditVerifier.VerifyAsync(_store, pem, _archiveDirectory, ct);
        }
        finally
        {
            _one.Release();
        }

        if (!result.Ok)
        {
            LogVerificationFailed(_logger, result.FirstBadSeq, result.Message);
        }

        writer.WriteStartObject();
        writer.WriteBoolean("Verified", result.Ok);
        writer.WriteNumber("Records", result.Records);
        writer.WriteNumber("Digests", result.Digests);
        writer.WriteNumber("UnsignedTail", result.UnsignedTail);
        if (result.FirstBadSeq is { } bad)
        {
            writer.WriteNumber("FirstBadSeq", bad);
        }

        writer.WriteString("Message", result.Message);
        writer.WriteString("PublicKey", "stored");
        writer.WriteEndObject();
    }

    [LoggerMessage(EventId = 7510, Level = LogLevel.Warning, Message = "Audit trail verification (Strongroom.VerifyAuditTrail) FAILED at record {FirstBadSeq}: {Reason}")]
    private static partial void LogVerificationFailed(ILogger logger, long? firstBadSeq, string reason);
}
