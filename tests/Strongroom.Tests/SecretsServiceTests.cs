using System.Text;
using Strongroom.Core.Errors;
using Strongroom.Core.Secrets;
using Xunit;

namespace Strongroom.Tests;

public sealed class SecretsServiceTests
{
    private static async Task<DomainException> Fails(Func<Task> call) => await Assert.ThrowsAsync<DomainException>(call);

    [Fact]
    public async Task PutSecretValue_WithoutStages_MovesCurrentAndPrevious()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var v1 = (await f.CreateAsync("a")).VersionId!;
        var v2 = (await f.PutAsync("a", "v2")).VersionId!;
        var v3 = (await f.PutAsync("a", "v3")).VersionId!;
        var view = await f.Service.Reads.DescribeSecretAsync(ServiceFixture.Region, "a", CancellationToken.None);
        Assert.Equal(["AWSCURRENT"], view.VersionStages[v3]);
        Assert.Equal(["AWSPREVIOUS"], view.VersionStages[v2]);
        Assert.False(view.VersionStages.ContainsKey(v1));
        Assert.Equal("v2", await f.ReadAsync("a", stage: "AWSPREVIOUS"));
        Assert.Equal("v1", await f.ReadAsync("a", versionId: v1));
    }

    [Fact]
    public async Task PutSecretValue_WithCustomStage_LeavesCurrent()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        var staged = await f.PutAsync("a", "v2", stages: ["STAGED"]);
        Assert.Equal(["STAGED"], staged.VersionStages);
        Assert.Equal("v1", await f.ReadAsync("a"));
        Assert.Equal("v2", await f.ReadAsync("a", stage: "STAGED"));
    }

    [Fact]
    public async Task PutSecretValue_SameTokenSameData_IsIdempotent_DifferentData_ResourceExists()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        var token = ServiceFixture.Token();
        await f.PutAsync("a", "v2", token);
        await f.PutAsync("a", "v2", token);
        var versions = await f.Service.Reads.ListSecretVersionIdsAsync(ServiceFixture.Region, "a", null, null, true, CancellationToken.None);
        Assert.Equal(2, versions.Versions.Count);
        var error = await Fails(() => f.PutAsync("a", "other", token));
        Assert.Equal(ErrorKind.ResourceExists, error.Kind);
    }

    [Fact]
    public async Task UpdateSecretVersionStage_CurrentWithoutRemoveFrom_InvalidParameterNamingHolder()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var v1 = (await f.CreateAsync("a")).VersionId!;
        var v2 = (await f.PutAsync("a", "v2", stages: ["X"])).VersionId!;
        var error = await Fails(() => f.Service.Staging.UpdateSecretVersionStageAsync(ServiceFixture.Region, "a", "AWSCURRENT", null, v2, CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidParameter, error.Kind);
        Assert.Equal($"The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {v1}, so you must explicitly reference that version in RemoveFromVersionId.", error.Message);
        await f.Service.Staging.UpdateSecretVersionStageAsync(ServiceFixture.Region, "a", "AWSCURRENT", v1, v2, CancellationToken.None);
        Assert.Equal("v2", await f.ReadAsync("a"));
        Assert.Equal("v1", await f.ReadAsync("a", stage: "AWSPREVIOUS"));
    }

    [Fact]
    public async Task UpdateSecretVersionStage_RemovingCurrent_Refused()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var v1 = (await f.CreateAsync("a")).VersionId!;
        var error = await Fails(() => f.Service.Staging.UpdateSecretVersionStageAsync(ServiceFixture.Region, "a", "AWSCURRENT", v1, null, CancellationToken.None));
        Assert.Equal(ErrorKind.InvalidParameter, error.Kind);
        Assert.Equal("v1", await f.ReadAsync("a"));
    }

    [Fact]
    public async Task DeleteSecret_WindowEnds_PurgeFreesName()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var first = await f.CreateAsync("a");
        var deleted = await f.Service.Deletion.DeleteSecretAsync(ServiceFixture.Region, "a", 7, false, CancellationToken.None);
        Assert.Equal(f.Time.GetUtcNow().AddDays(7).ToUnixTimeMilliseconds(), deleted.DeletionDate.ToUnixTimeMilliseconds());
        Assert.Equal("You can't perform this operation on the secret because it was marked for deletion.", (await Fails(() => f.ReadAsync("a"))).Message);
        Assert.Equal(ErrorKind.InvalidRequest, (await Fails(() => f.CreateAsync("a"))).Kind);

        f.Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        Assert.Empty(await f.Service.Deletion.PurgeDueAsync(CancellationToken.None));
        f.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(await f.Service.Deletion.PurgeDueAsync(CancellationToken.None));

        var second = await f.CreateAsync("a", "new");
        Assert.NotEqual(first.Secret.Arn, second.Secret.Arn);
        Assert.Equal("new", await f.ReadAsync("a"));
    }

    [Fact]
    public async Task RestoreSecret_BringsBackEverything()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        await f.PutAsync("a", "v2");
        await f.Service.Deletion.DeleteSecretAsync(ServiceFixture.Region, "a", null, false, CancellationToken.None);
        await f.Service.Deletion.RestoreSecretAsync(ServiceFixture.Region, "a", CancellationToken.None);
        Assert.Equal("v2", await f.ReadAsync("a"));
        Assert.Equal("v1", await f.ReadAsync("a", stage: "AWSPREVIOUS"));
    }

    [Fact]
    public async Task ForceDelete_FreesNameAtOnce()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        await f.Service.Deletion.DeleteSecretAsync(ServiceFixture.Region, "a", null, true, CancellationToken.None);
        await f.CreateAsync("a", "again");
        Assert.Equal("again", await f.ReadAsync("a"));
    }

    [Fact]
    public async Task Versions_MoreThanHundredWithinADay_LimitExceeded_OlderOnesArePurged()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        for (var i = 0; i < 99; i++)
        {
            await f.PutAsync("a", "v" + i);
        }

        Assert.Equal(ErrorKind.LimitExceeded, (await Fails(() => f.PutAsync("a", "one too many"))).Kind);
        f.Time.Advance(TimeSpan.FromHours(25));
        await f.PutAsync("a", "later");
        var all = await f.Service.Reads.ListSecretVersionIdsAsync(ServiceFixture.Region, "a", 100, null, true, CancellationToken.None);
        Assert.Equal(100, all.Versions.Count);
        Assert.Equal("later", await f.ReadAsync("a"));
    }

    [Fact]
    public async Task ConcurrentPutsAndStageMoves_KeepOneCurrentAndUniqueLabels()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 12; i++)
            {
                var put = await f.PutAsync("a", $"w{w}-{i}", stages: i % 3 == 0 ? ["STAGE" + w] : null);
                if (i % 4 == 0)
                {
                    try
                    {
                        var current = (await f.Service.Reads.DescribeSecretAsync(ServiceFixture.Region, "a", CancellationToken.None)).VersionStages.First(p => p.Value.Contains("AWSCURRENT")).Key;
                        await f.Service.Staging.UpdateSecretVersionStageAsync(ServiceFixture.Region, "a", "AWSCURRENT", current, put.VersionId, CancellationToken.None);
                    }
                    catch (DomainException e) when (e.Kind == ErrorKind.InvalidParameter)
                    {
                        // Another writer moved AWSCURRENT between our read and write: the store refused a stale move.
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);

        var view = await f.Service.Reads.DescribeSecretAsync(ServiceFixture.Region, "a", CancellationToken.None);
        var labels = view.VersionStages.SelectMany(p => p.Value).ToList();
        Assert.Single(labels, l => l == "AWSCURRENT");
        Assert.Single(labels, l => l == "AWSPREVIOUS");
        Assert.Equal(labels.Count, labels.Distinct().Count());
        Assert.NotNull(await f.ReadAsync("a"));
    }

    [Fact]
    public async Task ListSecrets_PagesSurviveConcurrentInserts()
    {
        await using var f = await ServiceFixture.CreateAsync();
        var originals = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            originals.Add((await f.CreateAsync($"p/s{i:D2}")).Secret.Name);
            f.Time.Advance(TimeSpan.FromMilliseconds(3));
        }

        var seen = new List<string>();
        string? token = null;
        var page = 0;
        do
        {
            var result = await f.Service.Listing.ListSecretsAsync(ServiceFixture.Region, new ListSecretsRequest(false, 7, token, [new ListFilter("name", ["p/"])], null, null), CancellationToken.None);
            seen.AddRange(result.Secrets.Select(s => s.Secret.Name));
            token = result.NextToken;
            await f.CreateAsync($"p/new{page++}");
        }
        while (token is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(originals, name => Assert.Contains(name, seen));
    }

    [Fact]
    public async Task Store_NeverHoldsPlaintext()
    {
        const string plaintext = "PLAINTEXT-CANARY-7f3a9c";
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a", plaintext);
        await f.PutAsync("a", plaintext + "-2");
        await f.Service.Writes.CreateSecretAsync(ServiceFixture.Region, new CreateSecretRequest("b", ServiceFixture.Token(), null, null, Encoding.UTF8.GetBytes(plaintext), null, null, null, false, null), CancellationToken.None);
        Assert.Equal(plaintext, await f.ReadAsync("a", stage: "AWSPREVIOUS"));
        foreach (var file in Directory.EnumerateFiles(f.Dir))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.DoesNotContain(plaintext, Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetSecretValue_AfterRootKeyMismatch_DecryptionFailure()
    {
        await using var f = await ServiceFixture.CreateAsync();
        await f.CreateAsync("a");
        using var otherRoot = new Crypto.RootKeyHolder(Crypto.RootKey.Generate(), null);
        using var keys = new Core.Kms.KeyRing(f.Store, new Core.Kms.RootWrap(otherRoot), new Core.ServerIdentity("111122223333", ServiceFixture.Region), f.Time);
        var service = new SecretsService(f.Store, keys, new Core.ServerIdentity("111122223333", ServiceFixture.Region), f.Time);
        var error = await Fails(() => service.Reads.GetSecretValueAsync(ServiceFixture.Region, "a", null, null, CancellationToken.None));
        Assert.Equal(ErrorKind.DecryptionFailure, error.Kind);
    }
}
