using Strongroom.Core.Audit;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The audit log's part of "writes fail closed" (docs/adr/0013): once a batch cannot be stored the log says it is not
/// writable — the host then refuses writes before their effect — until a later batch is stored.
/// </summary>
public sealed class AuditFailClosedTests
{
    private static AuditEvent Event(string name) => new()
    {
        EventName = name,
        EventSource = "secretsmanager.amazonaws.com",
        AwsRegion = "us-east-1",
        AccountId = "111122223333",
        EventTime = DateTimeOffset.UnixEpoch,
        RequestParametersJson = "{\"secretId\":\"x\"}",
    };

    [Fact]
    public async Task AppendFails_LogIsNotWritable_UntilABatchIsStoredAgain()
    {
        await using var fixture = await ServiceFixture.CreateAsync();
        var (store, control) = FailingAuditStore.Over(fixture.Store);
        await using var audit = await AuditLog.StartAsync(store, CancellationToken.None);
        await audit.AppendAsync(Event("Before"));
        Assert.True(audit.IsWritable);

        control.Failing = true;
        await Assert.ThrowsAsync<AuditUnavailableException>(() => audit.AppendAsync(Event("Lost")));
        Assert.False(audit.IsWritable);

        control.Failing = false;
        await audit.AppendAsync(Event("Refusal recorded"));
        Assert.True(audit.IsWritable);
        var last = await fixture.Store.LastAuditAsync(CancellationToken.None);
        Assert.NotNull(last);
    }
}
