using System.Globalization;
using Strongroom.Core.Audit;
using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Parameters;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The storage port's contract, written once against <see cref="IStore"/>; every provider runs it through a
/// subclass that supplies a fresh, initialised store on an empty database per test.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    protected const string Region = "us-east-1";
    private const string Account = "123456789012";
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    protected static readonly CancellationToken Ct = CancellationToken.None;
    private IStore? _store;

    protected IStore Store => _store ?? throw new InvalidOperationException("not initialised");

    /// <summary>A new, initialised store on a new, empty database.</summary>
    protected abstract Task<IStore> CreateStoreAsync();

    /// <summary>Another store instance (as after a restart) on the same database as <see cref="Store"/>, not yet initialised.</summary>
    protected abstract IStore OpenSameDatabase();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    // ------------------------------------------------------------ helpers

    protected static SecretRecord NewSecret(string name, string region = Region, string suffix = "AbCdEf", DateTimeOffset? created = null) => new()
    {
        Region = region,
        Name = name,
        Arn = $"arn:aws:secretsmanager:{region}:{Account}:secret:{name}-{suffix}",
        CreatedDate = created ?? T0,
        LastChangedDate = created ?? T0,
    };

    protected Task<T> Write<T>(Func<IStoreTransaction, Task<T>> work) => Store.WriteAsync(work, Ct);

    protected Task Write(Func<IStoreTransaction, Task> work) => Store.WriteAsync(
        async tx =>
        {
            await work(tx);
            return true;
        },
        Ct);

    protected async Task<SecretRecord> InsertSecret(SecretRecord secret)
    {
        await Write(tx => tx.InsertSecretAsync(secret, Ct));
        return secret;
    }

    private static SecretVersionRecord NewVersion(string id, DateTimeOffset created, byte[]? envelope = null) =>
        new() { VersionId = id, CreatedDate = created, Envelope = envelope, KmsKeyArn = envelope is null ? null : "arn:aws:kms:us-east-1:123456789012:key/k" };

    private static KmsKeyRecord NewKey(Guid id, string region = Region) => new()
    {
        KeyId = id,
        Region = region,
        Arn = $"arn:aws:kms:{region}:{Account}:key/{id:D}",
        State = KmsKeyState.Enabled,
        Manager = KmsKeyManager.Customer,
        CreatedDate = T0,
        CurrentVersion = 1,
    };

    private static AuditEntry NewAuditEntry(long n, string name, bool readOnly, string? user, DateTimeOffset time) =>
        new("evt-" + n.ToString(CultureInfo.InvariantCulture), time, name, "secretsmanager.amazonaws.com", user, user is null ? null : "AKIA" + user,
            readOnly, "res-" + (n % 2).ToString(CultureInfo.InvariantCulture), "AWS::SecretsManager::Secret", "{\"n\":" + n.ToString(CultureInfo.InvariantCulture) + "}");

    /// <summary>The chain hash after <paramref name="records"/>, following <paramref name="previous"/> at <paramref name="seq"/>.</summary>
    private static byte[] ChainOf(byte[] previous, long seq, IEnumerable<string> records)
    {
        foreach (var record in records)
        {
            previous = AuditChain.Link(previous, ++seq, record);
        }

        return previous;
    }

    // ------------------------------------------------------------ lifecycle, settings, transactions

    [Fact]
    public async Task InitializeAsync_AgainOnSameDatabase_KeepsData()
    {
        await Write(tx => tx.SetSettingAsync("k", "v", Ct));
        await Store.InitializeAsync(Ct);
        await using var second = OpenSameDatabase();
        await second.InitializeAsync(Ct);
        Assert.Equal("v", await second.GetSettingAsync("k", Ct));
    }

    [Fact]
    public async Task Setting_SetOverwriteAndMissing_RoundTrips()
    {
        Assert.Null(await Store.GetSettingAsync("k", Ct));
        await Write(tx => tx.SetSettingAsync("k", "one", Ct));
        await Write(async tx =>
        {
            Assert.Equal("one", await tx.GetSettingAsync("k", Ct));
            await tx.SetSettingAsync("k", "two", Ct);
            Assert.Equal("two", await tx.GetSettingAsync("k", Ct));
        });
        Assert.Equal("two", await Store.GetSettingAsync("k", Ct));
    }

    [Fact]
    public async Task HotPathReads_AfterEachWrite_SeeIt_AndHandOutCopies()
    {
        // The rows GetSecretValue reads (a secret by name or ARN, a version by label or id) may be served from memory
        // (SQLite): whatever the store does, a read after a write that returned sees that write, and a caller changing
        // what it got changes nothing for the next caller.
        Assert.Null(await Store.FindSecretByNameAsync(Region, "hot", Ct));
        var secret = await InsertSecret(NewSecret("hot"));
        var v1 = NewVersion("00000000-0000-0000-0000-000000000001", T0, [1, 2, 3]);
        await Write(async tx =>
        {
            await tx.InsertVersionAsync(secret.Id, v1, Ct);
            await tx.ReplaceStagesAsync(secret.Id, [new("AWSCURRENT", v1.VersionId)], Ct);
        });

        for (var i = 0; i < 2; i++)
        {
            var byName = await Store.FindSecretByNameAsync(Region, "hot", Ct);
            var byArn = await Store.FindSecretByArnAsync(secret.Arn, Ct);
            var current = await Store.FindVersionByStageAsync(secret.Id, "AWSCURRENT", Ct);
            var byId = await Store.FindVersionByIdAsync(secret.Id, v1.VersionId, Ct);
            Assert.Equal(secret.Id, byName!.Id);
            Assert.Equal(secret.Id, byArn!.Id);
            Assert.Equal([1, 2, 3], current!.Envelope);
            Assert.Equal(["AWSCURRENT"], byId!.Stages);

            // What a use case does to a loaded record stays its own.
            byName.Description = "changed by a caller";
            byName.Tags.Add(new SecretTag("k", "v"));
            byArn.LastAccessedDate = T0;
            current.Envelope![0] = 9;
            current.Stages.Add("AWSPREVIOUS");
            byId.Stages.Clear();
        }

        var v2 = NewVersion("00000000-0000-0000-0000-000000000002", T0.AddDays(1), [4, 5, 6]);
        await Write(async tx =>
        {
            var loaded = (await tx.FindSecretByNameAsync(Region, "hot", Ct))!;
            loaded.Description = "second";
            await tx.UpdateSecretAsync(loaded, Ct);
            await tx.InsertVersionAsync(secret.Id, v2, Ct);
            await tx.ReplaceStagesAsync(secret.Id, [new("AWSCURRENT", v2.VersionId), new("AWSPREVIOUS", v1.VersionId)], Ct);
        });
        Assert.Equal("second", (await Store.FindSecretByNameAsync(Region, "hot", Ct))!.Description);
        Assert.Equal("second", (await Store.FindSecretByArnAsync(secret.Arn, Ct))!.Description);
        Assert.Empty((await Store.FindSecretByArnAsync(secret.Arn, Ct))!.Tags);
        Assert.Equal([4, 5, 6], (await Store.FindVersionByStageAsync(secret.Id, "AWSCURRENT", Ct))!.Envelope);
        Assert.Equal(["AWSPREVIOUS"], (await Store.FindVersionByIdAsync(secret.Id, v1.VersionId, Ct))!.Stages);

        await Write(tx => tx.DeleteSecretAsync(secret.Id, Ct));
        Assert.Null(await Store.FindSecretByNameAsync(Region, "hot", Ct));
        Assert.Null(await Store.FindSecretByArnAsync(secret.Arn, Ct));
        Assert.Null(await Store.FindVersionByStageAsync(secret.Id, "AWSCURRENT", Ct));
    }

    [Fact]
    public async Task HotPathReads_RacingWrites_NeverServeAValueOlderThanTheLastWriteThatReturned()
    {
        var secret = await InsertSecret(NewSecret("raced"));
        using var stop = new CancellationTokenSource();

        // Readers keep loading (and so caching) the row at every moment of every write.
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Store.FindSecretByNameAsync(Region, "raced", Ct);
            }
        })).ToList();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var description = "d" + i.ToString(CultureInfo.InvariantCulture);
                await Write(async tx =>
                {
                    var loaded = (await tx.FindSecretByNameAsync(Region, "raced", Ct))!;
                    loaded.Description = description;
                    await tx.UpdateSecretAsync(loaded, Ct);

                    // A read outside the transaction while it is open sees the row as it was (and may keep it).
                    Assert.NotEqual(description, (await Store.FindSecretByNameAsync(Region, "raced", Ct))!.Description);
                });
                Assert.Equal(description, (await Store.FindSecretByNameAsync(Region, "raced", Ct))!.Description);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }
    }

    [Fact]
    public async Task Reads_OnManyConnectionsAtOnce_SeeEveryWriteThatReturned()
    {
        // Enough concurrent readers that the store keeps several connections (and their prepared statements); a
        // reader that kept an old snapshot (a statement left unreset) would answer an earlier value.
        var secret = await InsertSecret(NewSecret("many-readers"));
        for (var round = 1; round <= 5; round++)
        {
            var description = "round " + round.ToString(CultureInfo.InvariantCulture);
            secret.Description = description;
            await Write(tx => tx.UpdateSecretAsync(secret, Ct));
            var reads = await Task.WhenAll(Enumerable.Range(0, 48).Select(i => Task.Run(async () =>
                (i % 2 == 0 ? await Store.FindSecretByNameAsync(Region, "many-readers", Ct) : await Store.FindSecretByArnAsync(secret.Arn, Ct))?.Description)));
            Assert.All(reads, d => Assert.Equal(description, d));
            Assert.Equal(description, await Write(async tx => (await tx.FindSecretByNameAsync(Region, "many-readers", Ct))?.Description));
        }
    }

    [Fact]
    public async Task WriteAsync_WorkReturns_CommitsAndReturnsResult()
    {
        var id = await Write(async tx =>
        {
            var s = NewSecret("committed");
            await tx.InsertSecretAsync(s, Ct);
            return s.Id;
        });
        Assert.Equal(id, (await Store.FindSecretByNameAsync(Region, "committed", Ct))!.Id);
    }

    [Fact]
    public async Task WriteAsync_WorkThrows_RollsBackEverything()
    {
        await Write(tx => tx.SetSettingAsync("before", "1", Ct));
        var keyId = Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<InvalidTimeZoneException>(() => Write(async tx =>
        {
            await tx.SetSettingAsync("before", "2", Ct);
            await tx.SetSettingAsync("new", "x", Ct);
            var s = NewSecret("doomed");
            await tx.InsertSecretAsync(s, Ct);
            await tx.InsertVersionAsync(s.Id, NewVersion("v1", T0, [1]), Ct);
            await tx.ReplaceStagesAsync(s.Id, [new("AWSCURRENT", "v1")], Ct);
            await tx.InsertKmsKeyAsync(NewKey(keyId), [9, 9], Ct);
            await tx.InsertKmsAliasAsync(Region, "alias/doomed", keyId, T0, Ct);
            await tx.UpsertAccessKeyAsync(new AccessKeyRecord { AccessKeyId = "AKIADOOMED", WrappedSecret = [1], PrincipalArn = "p", UserName = "u", Status = "Active" }, Ct);
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "u", "{}", [1]), Ct);
            await tx.PutRootWrappedAsync("doomed", [1], Ct);
            await tx.UpsertParameterAsync(new ParameterRecord { Region = Region, Key = "p", Name = "p", Current = new ParameterVersionRecord { Version = 1, Type = "String", Value = [1] } }, Ct);
            Assert.NotNull(await tx.FindSecretByNameAsync(Region, "doomed", Ct));
            throw new InvalidTimeZoneException("work failed");
        }));
        Assert.Equal("work failed", ex.Message);

        Assert.Equal("1", await Store.GetSettingAsync("before", Ct));
        Assert.Null(await Store.GetSettingAsync("new", Ct));
        Assert.Null(await Store.FindSecretByNameAsync(Region, "doomed", Ct));
        Assert.Null(await Store.FindKmsKeyAsync(keyId, Ct));
        Assert.Null(await Store.FindKmsAliasAsync(Region, "alias/doomed", Ct));
        Assert.Null(await Store.FindAccessKeyAsync("AKIADOOMED", Ct));
        Assert.Null(await Store.FindIamEntityAsync(IamEntityKind.User, "u", Ct));
        Assert.Null(await Store.FindParameterAsync(Region, "p", Ct));
        Assert.Equal(new StoreStatistics(0, 0, 0, 0, 0, 0), await Store.GetStatisticsAsync(Ct));

        // The store is still usable afterwards.
        await Write(tx => tx.SetSettingAsync("after", "ok", Ct));
        Assert.Equal("ok", await Store.GetSettingAsync("after", Ct));
    }

    [Fact]
    public async Task WriteAsync_ConstraintViolation_RollsBackTheWholeTransaction()
    {
        await InsertSecret(NewSecret("taken"));
        await Assert.ThrowsAnyAsync<Exception>(() => Write(async tx =>
        {
            await tx.SetSettingAsync("half", "written", Ct);
            await tx.InsertSecretAsync(NewSecret("taken", suffix: "Other1"), Ct);
        }));
        Assert.Null(await Store.GetSettingAsync("half", Ct));
        Assert.Equal(1, (await Store.GetStatisticsAsync(Ct)).Secrets);
    }

    // ------------------------------------------------------------ secrets

    [Fact]
    public async Task InsertSecret_FindByNameAndArn_RoundTripsEveryField()
    {
        var s = NewSecret("prod/db", created: T0.AddMinutes(1));
        s.Description = "the database";
        s.KmsKeyId = "alias/custom";
        s.LastChangedDate = T0.AddMinutes(2);
        s.LastAccessedDate = T0.AddDays(1);
        s.LastRotatedDate = T0.AddMinutes(3);
        s.NextRotationDate = T0.AddDays(30);
        s.RotationEnabled = true;
        s.RotationLambdaArn = "arn:aws:lambda:us-east-1:123456789012:function:rot";
        s.RotationRules = new RotationRules(30, "2h", null);
        s.ResourcePolicy = "{\"Version\":\"2012-10-17\"}";
        s.Tags = [new SecretTag("env", "prod"), new SecretTag("team", "core")];
        s.Replicas = [new ReplicaStatus { Region = "eu-west-1", Status = "InSync", KmsKeyId = "k", StatusMessage = "ok", LastAccessedDate = T0.AddDays(1) }];
        s.OwningService = "rds";
        s.Type = "x";
        await InsertSecret(s);
        Assert.True(s.Id > 0);

        foreach (var found in new[] { await Store.FindSecretByNameAsync(Region, "prod/db", Ct), await Store.FindSecretByArnAsync(s.Arn, Ct) })
        {
            Assert.NotNull(found);
            Assert.Equal(s.Id, found.Id);
            Assert.Equal(s.Arn, found.Arn);
            Assert.Equal(s.CreatedDate, found.CreatedDate);
            Assert.Equal(s.LastChangedDate, found.LastChangedDate);
            Assert.Equal(s.LastAccessedDate, found.LastAccessedDate);
            Assert.Null(found.DeletedDate);
            Assert.Equal(s.Description, found.Description);
            Assert.Equal(s.KmsKeyId, found.KmsKeyId);
            Assert.Equal(s.LastRotatedDate, found.LastRotatedDate);
            Assert.Equal(s.NextRotationDate, found.NextRotationDate);
            Assert.True(found.RotationEnabled);
            Assert.Equal(s.RotationLambdaArn, found.RotationLambdaArn);
            Assert.Equal(s.RotationRules, found.RotationRules);
            Assert.Equal(s.ResourcePolicy, found.ResourcePolicy);
            Assert.Equal(s.Tags, found.Tags);
            var replica = Assert.Single(found.Replicas);
            Assert.Equal(("eu-west-1", "InSync", "k", "ok", T0.AddDays(1)), (replica.Region, replica.Status, replica.KmsKeyId, replica.StatusMessage, replica.LastAccessedDate!.Value));
            Assert.Equal("rds", found.OwningService);
            Assert.Equal("x", found.Type);
        }

        Assert.Null(await Store.FindSecretByNameAsync("eu-west-1", "prod/db", Ct));
        Assert.Null(await Store.FindSecretByArnAsync(s.Arn + "x", Ct));
    }

    [Fact]
    public async Task FindSecretsByPartialArn_MatchesOnlyNameDashSixCharacters()
    {
        var app = await InsertSecret(NewSecret("app", suffix: "Abc123"));
        await InsertSecret(NewSecret("app-db", suffix: "Xyz789"));
        await InsertSecret(NewSecret("apps", suffix: "Qrs456"));
        await InsertSecret(NewSecret("app", region: "eu-west-1", suffix: "Abc123"));

        var partial = $"arn:aws:secretsmanager:{Region}:{Account}:secret:app";
        var found = Assert.Single(await Store.FindSecretsByPartialArnAsync(partial, Ct));
        Assert.Equal(app.Id, found.Id);
        Assert.Equal("app-db", Assert.Single(await Store.FindSecretsByPartialArnAsync(partial + "-db", Ct)).Name);
        Assert.Empty(await Store.FindSecretsByPartialArnAsync(partial + "-d", Ct));
        Assert.Empty(await Store.FindSecretsByPartialArnAsync($"arn:aws:secretsmanager:{Region}:{Account}:secret:ap", Ct));
    }

    [Fact]
    public async Task UpdateSecret_ChangesMetadataAndDates()
    {
        var s = await InsertSecret(NewSecret("s"));
        s.Description = "changed";
        s.LastChangedDate = T0.AddHours(1);
        s.DeletedDate = T0.AddDays(7);
        s.Tags = [new SecretTag("a", "b")];
        await Write(tx => tx.UpdateSecretAsync(s, Ct));
        var found = (await Store.FindSecretByArnAsync(s.Arn, Ct))!;
        Assert.Equal("changed", found.Description);
        Assert.Equal(T0.AddHours(1), found.LastChangedDate);
        Assert.Equal(T0.AddDays(7), found.DeletedDate);
        Assert.Equal(T0, found.CreatedDate);
        Assert.Equal([new SecretTag("a", "b")], found.Tags);
    }

    [Fact]
    public async Task FindSecretsDueForRotation_OnlyEnabledPrimariesNotDeleted_EarliestFirst()
    {
        SecretRecord Rotating(string name, int days, Action<SecretRecord>? change = null)
        {
            var s = NewSecret(name);
            s.RotationEnabled = true;
            s.NextRotationDate = T0.AddDays(days);
            change?.Invoke(s);
            return s;
        }

        var late = await InsertSecret(Rotating("late", 5));
        var early = await InsertSecret(Rotating("early", 2));
        await InsertSecret(Rotating("future", 50));
        await InsertSecret(Rotating("disabled", 1, s => s.RotationEnabled = false));
        await InsertSecret(Rotating("deleted", 1, s => s.DeletedDate = T0));
        await InsertSecret(Rotating("replica", 1, s => s.PrimaryRegion = "eu-west-1"));
        await InsertSecret(Rotating("primary", 3, s => s.PrimaryRegion = Region));
        await InsertSecret(NewSecret("never"));

        var due = await Store.FindSecretsDueForRotationAsync(T0.AddDays(10), 10, Ct);
        Assert.Equal(["early", "primary", "late"], due.Select(s => s.Name));
        Assert.Equal(["early"], (await Store.FindSecretsDueForRotationAsync(T0.AddDays(10), 1, Ct)).Select(s => s.Name));
        Assert.Equal(["early"], (await Store.FindSecretsDueForRotationAsync(T0.AddDays(2), 10, Ct)).Select(s => s.Name));

        // UpdateSecret maintains the index: turning rotation off, deleting, or moving the date.
        early.RotationEnabled = false;
        late.NextRotationDate = T0.AddDays(1);
        await Write(async tx =>
        {
            await tx.UpdateSecretAsync(early, Ct);
            await tx.UpdateSecretAsync(late, Ct);
        });
        Assert.Equal(["late", "primary"], (await Store.FindSecretsDueForRotationAsync(T0.AddDays(10), 10, Ct)).Select(s => s.Name));
        late.DeletedDate = T0;
        await Write(tx => tx.UpdateSecretAsync(late, Ct));
        Assert.Equal(["primary"], (await Store.FindSecretsDueForRotationAsync(T0.AddDays(10), 10, Ct)).Select(s => s.Name));
    }

    [Fact]
    public async Task FindSecretsDueForDeletion_ScheduledAtOrBeforeNow_EarliestFirst()
    {
        foreach (var (name, days) in new[] { ("b", 3), ("a", 1), ("c", 9) })
        {
            var s = NewSecret(name);
            s.DeletedDate = T0.AddDays(days);
            await InsertSecret(s);
        }

        await InsertSecret(NewSecret("live"));
        Assert.Equal(["a", "b"], (await Store.FindSecretsDueForDeletionAsync(T0.AddDays(3), 10, Ct)).Select(s => s.Name));
        Assert.Equal(["a"], (await Store.FindSecretsDueForDeletionAsync(T0.AddDays(30), 1, Ct)).Select(s => s.Name));
    }

    // ------------------------------------------------------------ versions and stages

    [Fact]
    public async Task Versions_InsertFindListAndStages_RoundTrip()
    {
        var s = await InsertSecret(NewSecret("v"));
        await Write(async tx =>
        {
            await tx.InsertVersionAsync(s.Id, NewVersion("v2", T0.AddMinutes(2), [2, 2]), Ct);
            await tx.InsertVersionAsync(s.Id, NewVersion("v1", T0.AddMinutes(1), [1, 1]), Ct);
            await tx.InsertVersionAsync(s.Id, NewVersion("pending", T0.AddMinutes(3)), Ct);
            await tx.ReplaceStagesAsync(s.Id, [new("AWSCURRENT", "v2"), new("AWSPREVIOUS", "v1"), new("AWSPENDING", "pending"), new("custom", "v2")], Ct);
        });

        var versions = await Store.ListVersionsAsync(s.Id, Ct);
        Assert.Equal(["v1", "v2", "pending"], versions.Select(v => v.VersionId));
        Assert.Equal(["AWSPREVIOUS"], versions[0].Stages);
        Assert.Equal(["AWSCURRENT", "custom"], versions[1].Stages);
        Assert.Equal(new byte[] { (byte)2, (byte)2 }, versions[1].Envelope);
        Assert.Equal("arn:aws:kms:us-east-1:123456789012:key/k", versions[1].KmsKeyArn);
        Assert.Null(versions[2].Envelope);
        Assert.Null(versions[2].KmsKeyArn);
        Assert.Equal(T0.AddMinutes(3), versions[2].CreatedDate);

        var current = (await Store.FindVersionByStageAsync(s.Id, "AWSCURRENT", Ct))!;
        Assert.Equal("v2", current.VersionId);
        Assert.Equal(["AWSCURRENT", "custom"], current.Stages);
        Assert.Equal(["AWSPREVIOUS"], (await Store.FindVersionByIdAsync(s.Id, "v1", Ct))!.Stages);
        Assert.Null(await Store.FindVersionByStageAsync(s.Id, "nope", Ct));
        Assert.Null(await Store.FindVersionByIdAsync(s.Id, "nope", Ct));

        // Moving labels replaces every stage of the secret at once.
        await Write(async tx =>
        {
            await tx.UpdateVersionValueAsync(s.Id, "pending", [3, 3], "arn:aws:kms:us-east-1:123456789012:key/k2", Ct);
            await tx.ReplaceStagesAsync(s.Id, [new("AWSCURRENT", "pending"), new("AWSPREVIOUS", "v2")], Ct);
            Assert.Equal("pending", (await tx.FindVersionByStageAsync(s.Id, "AWSCURRENT", Ct))!.VersionId);
        });
        var moved = (await Store.FindVersionByIdAsync(s.Id, "pending", Ct))!;
        Assert.Equal(new byte[] { (byte)3, (byte)3 }, moved.Envelope);
        Assert.Equal("arn:aws:kms:us-east-1:123456789012:key/k2", moved.KmsKeyArn);
        Assert.Equal(["AWSCURRENT"], moved.Stages);
        Assert.Empty((await Store.FindVersionByIdAsync(s.Id, "v1", Ct))!.Stages);

        var maps = await Store.GetStageMapsAsync([s.Id, 987654], Ct);
        var map = Assert.Single(maps).Value;
        Assert.Equal(["AWSPREVIOUS"], map["v2"]);
        Assert.Equal(["AWSCURRENT"], map["pending"]);
        Assert.False(map.ContainsKey("v1"));
        Assert.Empty(await Store.GetStageMapsAsync([], Ct));

        await Write(tx => tx.DeleteVersionAsync(s.Id, "v2", Ct));
        Assert.Equal(["v1", "pending"], (await Store.ListVersionsAsync(s.Id, Ct)).Select(v => v.VersionId));
        Assert.Null(await Store.FindVersionByStageAsync(s.Id, "AWSPREVIOUS", Ct));
    }

    [Fact]
    public async Task ReplaceStages_OneStageOnTwoVersions_ThrowsAndKeepsThePreviousStages()
    {
        var s = await InsertSecret(NewSecret("dup"));
        await Write(async tx =>
        {
            await tx.InsertVersionAsync(s.Id, NewVersion("v1", T0, [1]), Ct);
            await tx.InsertVersionAsync(s.Id, NewVersion("v2", T0.AddSeconds(1), [2]), Ct);
            await tx.ReplaceStagesAsync(s.Id, [new("AWSCURRENT", "v1")], Ct);
        });
        await Assert.ThrowsAnyAsync<Exception>(() => Write(tx => tx.ReplaceStagesAsync(s.Id, [new("AWSCURRENT", "v1"), new("AWSCURRENT", "v2")], Ct)));
        Assert.Equal("v1", (await Store.FindVersionByStageAsync(s.Id, "AWSCURRENT", Ct))!.VersionId);
    }

    [Fact]
    public async Task DeleteSecret_RemovesVersionsAndStages()
    {
        var s = await InsertSecret(NewSecret("gone"));
        var kept = await InsertSecret(NewSecret("kept"));
        await Write(async tx =>
        {
            foreach (var id in new[] { s.Id, kept.Id })
            {
                await tx.InsertVersionAsync(id, NewVersion("v1", T0, [1]), Ct);
                await tx.ReplaceStagesAsync(id, [new("AWSCURRENT", "v1")], Ct);
            }
        });
        await Write(tx => tx.DeleteSecretAsync(s.Id, Ct));

        Assert.Null(await Store.FindSecretByArnAsync(s.Arn, Ct));
        Assert.Empty(await Store.ListVersionsAsync(s.Id, Ct));
        Assert.Null(await Store.FindVersionByIdAsync(s.Id, "v1", Ct));
        Assert.Equal([kept.Id], (await Store.GetStageMapsAsync([s.Id, kept.Id], Ct)).Keys);
        var stats = await Store.GetStatisticsAsync(Ct);
        Assert.Equal((1L, 1L), (stats.Secrets, stats.Versions));

        // The name is free again.
        await InsertSecret(NewSecret("gone", suffix: "New123"));
    }

    [Fact]
    public async Task RecordAccess_IsIdempotentAndOnlyMovesForward()
    {
        var s = await InsertSecret(NewSecret("read"));
        await Write(async tx =>
        {
            await tx.InsertVersionAsync(s.Id, NewVersion("v1", T0, [1]), Ct);
            await tx.InsertVersionAsync(s.Id, NewVersion("v2", T0, [2]), Ct);
        });
        var day2 = T0.AddDays(2);
        await Store.RecordAccessAsync(s.Id, "v1", day2, Ct);
        await Store.RecordAccessAsync(s.Id, "v1", day2, Ct);
        await Store.RecordAccessAsync(s.Id, "v1", T0.AddDays(1), Ct);
        Assert.Equal(day2, (await Store.FindSecretByArnAsync(s.Arn, Ct))!.LastAccessedDate);
        Assert.Equal(day2, (await Store.FindVersionByIdAsync(s.Id, "v1", Ct))!.LastAccessedDate);
        Assert.Null((await Store.FindVersionByIdAsync(s.Id, "v2", Ct))!.LastAccessedDate);

        await Store.RecordAccessAsync(s.Id, "v2", T0.AddDays(3), Ct);
        Assert.Equal(T0.AddDays(3), (await Store.FindSecretByArnAsync(s.Arn, Ct))!.LastAccessedDate);
        Assert.Equal(day2, (await Store.FindVersionByIdAsync(s.Id, "v1", Ct))!.LastAccessedDate);

        // Unknown secret or version: nothing happens.
        await Store.RecordAccessAsync(s.Id + 1000, "v1", T0.AddDays(9), Ct);
        await Store.RecordAccessAsync(s.Id, "nope", T0.AddDays(9), Ct);
        Assert.Equal(T0.AddDays(9), (await Store.FindSecretByArnAsync(s.Arn, Ct))!.LastAccessedDate);
    }

    // ------------------------------------------------------------ ScanSecrets

    /// <summary>
    /// Secrets chosen so that orders differ per key, ties need the id, names differ by case (byte order), one is
    /// deleted, one never accessed, and one lives in another region.
    /// </summary>
    private async Task<List<SecretRecord>> SeedScanAsync()
    {
        var list = new List<SecretRecord>();
        var rows = new (string Name, int Created, int Changed, int? Accessed, bool Deleted)[]
        {
            ("beta", 1, 9, 3, false),
            ("Alpha", 2, 8, null, false),
            ("alpha", 2, 7, 3, false),
            ("app/one", 3, 6, 1, false),
            ("app/two", 3, 6, null, false),
            ("app/three", 0, 5, 2, true),
            ("zeta", 5, 4, 5, false),
            ("Zed", 4, 3, 4, false),
            ("app", 6, 2, 1, false),
        };
        foreach (var (name, created, changed, accessed, deleted) in rows)
        {
            var s = NewSecret(name, created: T0.AddDays(created));
            s.LastChangedDate = T0.AddDays(changed);
            s.LastAccessedDate = accessed is null ? null : T0.AddDays(accessed.Value);
            s.DeletedDate = deleted ? T0.AddDays(30) : null;
            list.Add(await InsertSecret(s));
        }

        await InsertSecret(NewSecret("alpha", region: "eu-west-1"));
        return list;
    }

    private static long SortValue(SecretRecord s, SecretSortKey key) => key switch
    {
        SecretSortKey.CreatedDate => s.CreatedDate.ToUnixTimeMilliseconds(),
        SecretSortKey.LastChangedDate => s.LastChangedDate.ToUnixTimeMilliseconds(),
        SecretSortKey.LastAccessedDate => s.LastAccessedDate?.ToUnixTimeMilliseconds() ?? 0,
        _ => 0,
    };

    private static List<string> Expected(IEnumerable<SecretRecord> secrets, SecretSortKey key, bool ascending, bool includeDeleted, string? prefix)
    {
        var rows = secrets.Where(s => includeDeleted || s.DeletedDate is null).Where(s => prefix is null || s.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        rows.Sort((a, b) =>
        {
            var c = key == SecretSortKey.Name ? string.CompareOrdinal(a.Name, b.Name) : SortValue(a, key).CompareTo(SortValue(b, key));
            if (c == 0)
            {
                c = a.Id.CompareTo(b.Id);
            }

            return ascending ? c : -c;
        });
        return rows.Select(s => s.Name).ToList();
    }

    /// <summary>Pages through a scan with keyset tokens taken from each page's last row, as the listing use case does.</summary>
    private async Task<List<string>> ScanAllAsync(SecretSortKey key, bool ascending, bool includeDeleted, string? prefix, int pageSize)
    {
        var names = new List<string>();
        SecretRecord? last = null;
        for (var page = 0; page < 50; page++)
        {
            var scan = new SecretScan(Region, includeDeleted, key, ascending,
                last is null || key == SecretSortKey.Name ? null : SortValue(last, key), last?.Name, last?.Id, prefix, pageSize);
            var rows = await Store.ScanSecretsAsync(scan, Ct);
            Assert.True(rows.Count <= pageSize);
            names.AddRange(rows.Select(r => r.Name));
            if (rows.Count < pageSize)
            {
                return names;
            }

            last = rows[^1];
        }

        throw new InvalidOperationException("scan did not end");
    }

    [Theory]
    [InlineData(SecretSortKey.Name, true)]
    [InlineData(SecretSortKey.Name, false)]
    [InlineData(SecretSortKey.CreatedDate, true)]
    [InlineData(SecretSortKey.CreatedDate, false)]
    [InlineData(SecretSortKey.LastChangedDate, true)]
    [InlineData(SecretSortKey.LastChangedDate, false)]
    [InlineData(SecretSortKey.LastAccessedDate, true)]
    [InlineData(SecretSortKey.LastAccessedDate, false)]
    public async Task ScanSecrets_EverySortAndDirection_PagesInKeysetOrderWithIdTieBreak(SecretSortKey key, bool ascending)
    {
        var seeded = await SeedScanAsync();
        foreach (var includeDeleted in new[] { false, true })
        {
            var expected = Expected(seeded, key, ascending, includeDeleted, null);
            Assert.Equal(expected, await ScanAllAsync(key, ascending, includeDeleted, null, 100));
            foreach (var pageSize in new[] { 1, 2, 3 })
            {
                Assert.Equal(expected, await ScanAllAsync(key, ascending, includeDeleted, null, pageSize));
            }
        }
    }

    [Fact]
    public async Task ScanSecrets_NameSort_UsesByteOrder()
    {
        await SeedScanAsync();
        Assert.Equal(["Alpha", "Zed", "alpha", "app", "app/one", "app/two", "beta", "zeta"], await ScanAllAsync(SecretSortKey.Name, true, false, null, 100));
    }

    [Theory]
    [InlineData(SecretSortKey.Name, true)]
    [InlineData(SecretSortKey.CreatedDate, false)]
    [InlineData(SecretSortKey.LastAccessedDate, true)]
    public async Task ScanSecrets_NamePrefix_NarrowsAndPages(SecretSortKey key, bool ascending)
    {
        var seeded = await SeedScanAsync();
        Assert.Equal(Expected(seeded, key, ascending, false, "app"), await ScanAllAsync(key, ascending, false, "app", 1));
        Assert.Equal(Expected(seeded, key, ascending, true, "app/"), await ScanAllAsync(key, ascending, true, "app/", 2));
        Assert.Empty(await ScanAllAsync(key, ascending, true, "nothing", 2));
    }

    [Fact]
    public async Task ScanSecrets_AfterToken_StartsStrictlyAfterValueAndId()
    {
        var seeded = await SeedScanAsync();
        var one = seeded.Single(s => s.Name == "app/one");
        var rows = await Store.ScanSecretsAsync(new SecretScan(Region, false, SecretSortKey.CreatedDate, true, one.CreatedDate.ToUnixTimeMilliseconds(), null, one.Id, null, 10), Ct);
        Assert.Equal(["app/two", "Zed", "zeta", "app"], rows.Select(r => r.Name));
        var byName = await Store.ScanSecretsAsync(new SecretScan(Region, false, SecretSortKey.Name, false, null, "app", seeded.Single(s => s.Name == "app").Id, null, 10), Ct);
        Assert.Equal(["alpha", "Zed", "Alpha"], byName.Select(r => r.Name));
        Assert.Single(await Store.ScanSecretsAsync(new SecretScan("eu-west-1", false, SecretSortKey.Name, true, null, null, null, null, 10), Ct));
    }

    // ------------------------------------------------------------ KMS

    [Fact]
    public async Task KmsKey_InsertFindUpdateAndMaterial_RoundTrip()
    {
        var id = Guid.NewGuid();
        var key = NewKey(id);
        key.Description = "d";
        key.RotationEnabled = true;
        key.RotationPeriodInDays = 90;
        key.NextRotationDate = T0.AddDays(90);
        key.Policy = "{\"policy\":1}";
        key.Tags = [new("a", "1")];
        await Write(tx => tx.InsertKmsKeyAsync(key, [1, 2, 3], Ct));

        var found = (await Store.FindKmsKeyAsync(id, Ct))!;
        Assert.Equal((key.Arn, KmsKeyState.Enabled, KmsKeyManager.Customer, "d", T0, 1u), (found.Arn, found.State, found.Manager, found.Description, found.CreatedDate, found.CurrentVersion));
        Assert.Equal(("ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "AWS_KMS"), (found.KeyUsage, found.KeySpec, found.Origin));
        Assert.True(found.RotationEnabled);
        Assert.Equal(90, found.RotationPeriodInDays);
        Assert.Equal(T0.AddDays(90), found.NextRotationDate);
        Assert.Equal(key.Policy, found.Policy);
        Assert.Equal(key.Tags, found.Tags);
        Assert.Equal(new byte[] { (byte)1, (byte)2, (byte)3 }, await Store.GetKmsKeyMaterialAsync(id, 1, Ct));
        Assert.Null(await Store.GetKmsKeyMaterialAsync(id, 2, Ct));
        Assert.Null(await Store.FindKmsKeyAsync(Guid.NewGuid(), Ct));

        await Write(async tx =>
        {
            await tx.InsertKmsKeyVersionAsync(id, new KmsKeyVersion(2, T0.AddDays(90), "AUTOMATIC"), [4, 5], Ct);
            found.CurrentVersion = 2;
            found.State = KmsKeyState.PendingDeletion;
            found.DeletionDate = T0.AddDays(7);
            found.PendingWindowInDays = 7;
            await tx.UpdateKmsKeyAsync(found, Ct);
        });
        var updated = (await Store.FindKmsKeyAsync(id, Ct))!;
        Assert.Equal((2u, KmsKeyState.PendingDeletion, T0.AddDays(7), 7), (updated.CurrentVersion, updated.State, updated.DeletionDate!.Value, updated.PendingWindowInDays!.Value));
        Assert.Equal([new KmsKeyVersion(1, T0, null), new KmsKeyVersion(2, T0.AddDays(90), "AUTOMATIC")], await Store.ListKmsKeyVersionsAsync(id, Ct));
        Assert.Equal(new byte[] { (byte)4, (byte)5 }, await Store.GetKmsKeyMaterialAsync(id, 2, Ct));
    }

    [Fact]
    public async Task KmsKeys_ListByRegionInKeyIdOrder_AndDue()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        await Write(async tx =>
        {
            for (var i = 0; i < ids.Count; i++)
            {
                var key = NewKey(ids[i]);
                key.DeletionDate = i == 1 ? T0.AddDays(1) : null;
                key.NextRotationDate = i == 2 ? T0.AddDays(2) : i == 3 ? T0.AddDays(100) : null;
                await tx.InsertKmsKeyAsync(key, [(byte)i], Ct);
            }

            await tx.InsertKmsKeyAsync(NewKey(Guid.NewGuid(), "eu-west-1"), [9], Ct);
        });
        var ordered = ids.Select(i => i.ToString("D")).Order(StringComparer.Ordinal).Select(Guid.Parse).ToList();
        Assert.Equal(ordered, (await Store.ListKmsKeysAsync(Region, null, 10, Ct)).Select(k => k.KeyId));
        Assert.Equal(ordered.Skip(2).Take(2), (await Store.ListKmsKeysAsync(Region, ordered[1], 2, Ct)).Select(k => k.KeyId));
        Assert.Equal(new[] { ids[1], ids[2] }.Order(), (await Store.FindKmsKeysDueAsync(T0.AddDays(2), 10, Ct)).Select(k => k.KeyId).Order());
        Assert.Single(await Store.FindKmsKeysDueAsync(T0.AddDays(2), 1, Ct));
    }

    [Fact]
    public async Task KmsAliases_InsertListUpdateDelete_AndDeleteKeyCascades()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        await Write(async tx =>
        {
            await tx.InsertKmsKeyAsync(NewKey(a), [1], Ct);
            await tx.InsertKmsKeyAsync(NewKey(b), [2], Ct);
            await tx.InsertKmsAliasAsync(Region, "alias/b", a, T0, Ct);
            await tx.InsertKmsAliasAsync(Region, "alias/a", a, T0, Ct);
            await tx.InsertKmsAliasAsync(Region, "alias/C", b, T0, Ct);
            await tx.InsertKmsAliasAsync("eu-west-1", "alias/a", b, T0, Ct);
        });
        Assert.Equal(a, await Store.FindKmsAliasAsync(Region, "alias/a", Ct));
        Assert.Equal(b, await Store.FindKmsAliasAsync("eu-west-1", "alias/a", Ct));
        Assert.Null(await Store.FindKmsAliasAsync(Region, "alias/none", Ct));
        Assert.Equal(["alias/C", "alias/a", "alias/b"], (await Store.ListKmsAliasesAsync(Region, null, null, 10, Ct)).Select(x => x.AliasName));
        Assert.Equal(["alias/a", "alias/b"], (await Store.ListKmsAliasesAsync(Region, a, null, 10, Ct)).Select(x => x.AliasName));
        Assert.Equal(["alias/b"], (await Store.ListKmsAliasesAsync(Region, null, "alias/a", 10, Ct)).Select(x => x.AliasName));
        Assert.Equal(["alias/C"], (await Store.ListKmsAliasesAsync(Region, null, null, 1, Ct)).Select(x => x.AliasName));

        await Write(tx => tx.UpdateKmsAliasAsync(Region, "alias/b", b, T0.AddDays(1), Ct));
        var moved = (await Store.ListKmsAliasesAsync(Region, b, null, 10, Ct)).Single(x => x.AliasName == "alias/b");
        Assert.Equal(new KmsAlias(Region, "alias/b", b, T0, T0.AddDays(1)), moved);

        await Write(tx => tx.DeleteKmsAliasAsync(Region, "alias/C", Ct));
        Assert.Null(await Store.FindKmsAliasAsync(Region, "alias/C", Ct));

        await Write(tx => tx.DeleteKmsKeyAsync(b, Ct));
        Assert.Null(await Store.FindKmsKeyAsync(b, Ct));
        Assert.Null(await Store.GetKmsKeyMaterialAsync(b, 1, Ct));
        Assert.Empty(await Store.ListKmsKeyVersionsAsync(b, Ct));
        Assert.Null(await Store.FindKmsAliasAsync(Region, "alias/b", Ct));
        Assert.Null(await Store.FindKmsAliasAsync("eu-west-1", "alias/a", Ct));
        Assert.Equal(a, await Store.FindKmsAliasAsync(Region, "alias/a", Ct));
        var stats = await Store.GetStatisticsAsync(Ct);
        Assert.Equal((1L, 1L), (stats.KmsKeys, stats.KmsKeyVersions));
    }

    // ------------------------------------------------------------ identity

    [Fact]
    public async Task AccessKeys_UpsertFindListDelete()
    {
        AccessKeyRecord Key(string id, string user, int minutes, string status = "Active") =>
            new() { AccessKeyId = id, WrappedSecret = [(byte)minutes, 7], PrincipalArn = "arn:aws:iam::123456789012:user/" + user, UserName = user, Status = status, CreatedDate = T0.AddMinutes(minutes), PrincipalId = "AIDA" + user.ToUpperInvariant(), Mac = [(byte)minutes, 1, 2] };

        await Write(async tx =>
        {
            await tx.UpsertAccessKeyAsync(Key("AKIA2", "alice", 2), Ct);
            await tx.UpsertAccessKeyAsync(Key("AKIA1", "alice", 3), Ct);
            await tx.UpsertAccessKeyAsync(Key("AKIA3", "bob", 1), Ct);
        });
        var found = (await Store.FindAccessKeyAsync("AKIA1", Ct))!;
        Assert.Equal(("alice", "Active", "arn:aws:iam::123456789012:user/alice", T0.AddMinutes(3), "AIDAALICE"), (found.UserName, found.Status, found.PrincipalArn, found.CreatedDate, found.PrincipalId));
        Assert.Equal(new byte[] { (byte)3, (byte)7 }, found.WrappedSecret);
        Assert.Equal(new byte[] { 3, 1, 2 }, found.Mac);
        Assert.Equal(["AKIA1", "AKIA2", "AKIA3"], (await Write(tx => tx.ListAllAccessKeysAsync(Ct))).Select(k => k.AccessKeyId));
        Assert.Equal(new byte[] { 1, 1, 2 }, (await Write(tx => tx.ListAllAccessKeysAsync(Ct))).Last().Mac);
        Assert.Equal(["AKIA2", "AKIA1"], (await Store.ListAccessKeysAsync("alice", Ct)).Select(k => k.AccessKeyId));
        Assert.Empty(await Store.ListAccessKeysAsync("carol", Ct));

        // An upsert changes the status and the tag and keeps the creation date; a row without principal id or tag reads back so.
        await Write(tx => tx.UpsertAccessKeyAsync(Key("AKIA1", "alice", 99, "Inactive"), Ct));
        var updated = (await Store.FindAccessKeyAsync("AKIA1", Ct))!;
        Assert.Equal(("Inactive", T0.AddMinutes(3)), (updated.Status, updated.CreatedDate));
        Assert.Equal(new byte[] { 99, 1, 2 }, updated.Mac);
        await Write(tx => tx.UpsertAccessKeyAsync(new AccessKeyRecord { AccessKeyId = "AKIA4", WrappedSecret = [4], PrincipalArn = "p", UserName = "dave", Status = "Active", CreatedDate = T0 }, Ct));
        var bare = (await Store.FindAccessKeyAsync("AKIA4", Ct))!;
        Assert.Equal(((string?)null, (byte[]?)null), (bare.PrincipalId, bare.Mac));

        await Write(tx => tx.DeleteAccessKeyAsync("AKIA2", Ct));
        Assert.Null(await Store.FindAccessKeyAsync("AKIA2", Ct));
        Assert.Equal(["AKIA1"], (await Store.ListAccessKeysAsync("alice", Ct)).Select(k => k.AccessKeyId));
    }

    [Fact]
    public async Task IamEntities_PutFindListByNameDelete()
    {
        await Write(async tx =>
        {
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "bob", "{\"n\":\"bob\"}", [1]), Ct);
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "Alice", "{\"n\":\"Alice\"}", [2]), Ct);
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "alice", "{\"n\":\"alice\"}", null), Ct);
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.Group, "bob", "{\"g\":1}", [4]), Ct);
        });
        var bob = (await Store.FindIamEntityAsync(IamEntityKind.User, "bob", Ct))!;
        Assert.Equal(("user", "bob", "{\"n\":\"bob\"}"), (IamEntityKinds.ToStored(bob.Kind), bob.Name, bob.Json));
        Assert.Equal(new byte[] { 1 }, bob.Mac);
        Assert.Equal("{\"g\":1}", (await Store.FindIamEntityAsync(IamEntityKind.Group, "bob", Ct))!.Json);
        Assert.Null((await Store.FindIamEntityAsync(IamEntityKind.User, "alice", Ct))!.Mac);
        Assert.Null(await Store.FindIamEntityAsync(IamEntityKind.Role, "bob", Ct));
        Assert.Equal(["{\"n\":\"Alice\"}", "{\"n\":\"alice\"}", "{\"n\":\"bob\"}"], (await Store.ListIamEntitiesAsync(IamEntityKind.User, Ct)).Select(r => r.Json));
        Assert.Equal([("group", "bob"), ("user", "Alice"), ("user", "alice"), ("user", "bob")], (await Store.ListIamEntitiesAsync(null, Ct)).Select(r => (IamEntityKinds.ToStored(r.Kind), r.Name)));

        await Write(async tx =>
        {
            await tx.PutIamEntityAsync(new IamEntityRow(IamEntityKind.User, "bob", "{\"n\":\"bob2\"}", [9]), Ct);
            await tx.DeleteIamEntityAsync(IamEntityKind.User, "Alice", Ct);
        });
        Assert.Equal(["{\"n\":\"alice\"}", "{\"n\":\"bob2\"}"], (await Store.ListIamEntitiesAsync(IamEntityKind.User, Ct)).Select(r => r.Json));
        Assert.Equal(new byte[] { 9 }, (await Store.FindIamEntityAsync(IamEntityKind.User, "bob", Ct))!.Mac);
    }

    // ------------------------------------------------------------ parameters

    private static ParameterVersionRecord ParamVersion(long version, string value) => new()
    {
        Version = version,
        Type = "SecureString",
        Value = System.Text.Encoding.UTF8.GetBytes(value),
        KeyId = "alias/aws/ssm",
        Description = "d" + version.ToString(CultureInfo.InvariantCulture),
        AllowedPattern = "^.*$",
        Tier = "Advanced",
        DataType = "text",
        Policies = "[]",
        LastModifiedDate = T0.AddMinutes(version),
        LastModifiedUser = "arn:aws:iam::123456789012:user/alice",
    };

    [Fact]
    public async Task Parameters_UpsertVersionsScanRegionsDelete()
    {
        var p = new ParameterRecord { Region = Region, Key = "/app/db/password", Name = "/app/db/password", Current = ParamVersion(2, "two") };
        p.Labels["prod"] = 2;
        p.Labels["old"] = 1;
        p.Tags = [new("team", "core")];
        await Write(async tx =>
        {
            await tx.InsertParameterVersionAsync(Region, p.Key, ParamVersion(1, "one"), Ct);
            await tx.InsertParameterVersionAsync(Region, p.Key, ParamVersion(2, "two"), Ct);
            await tx.UpsertParameterAsync(p, Ct);
            foreach (var key in new[] { "/app/db/user", "/app/web", "/apq", "plain", "/app" })
            {
                await tx.UpsertParameterAsync(new ParameterRecord { Region = Region, Key = key, Name = key, Current = ParamVersion(1, key) }, Ct);
            }

            await tx.UpsertParameterAsync(new ParameterRecord { Region = "eu-west-1", Key = "/app/x", Name = "/app/x", Current = ParamVersion(1, "x") }, Ct);
        });

        var found = (await Store.FindParameterAsync(Region, p.Key, Ct))!;
        Assert.Equal(("/app/db/password", 2L, "SecureString", "two"), (found.Name, found.Current.Version, found.Current.Type, System.Text.Encoding.UTF8.GetString(found.Current.Value)));
        Assert.Equal(("alias/aws/ssm", "d2", "^.*$", "Advanced", "text", "[]"), (found.Current.KeyId, found.Current.Description, found.Current.AllowedPattern, found.Current.Tier, found.Current.DataType, found.Current.Policies));
        Assert.Equal((T0.AddMinutes(2), "arn:aws:iam::123456789012:user/alice"), (found.Current.LastModifiedDate, found.Current.LastModifiedUser));
        Assert.Equal(new Dictionary<string, long> { ["prod"] = 2, ["old"] = 1 }, found.Labels);
        Assert.Equal([new KeyValuePair<string, string>("team", "core")], found.Tags);
        Assert.Null(await Store.FindParameterAsync("eu-west-1", p.Key, Ct));

        Assert.Equal([1L, 2L], (await Store.ListParameterVersionsAsync(Region, p.Key, Ct)).Select(v => v.Version));
        Assert.Equal("one", System.Text.Encoding.UTF8.GetString((await Store.ListParameterVersionsAsync(Region, p.Key, Ct))[0].Value));

        Assert.Equal(["/app", "/app/db/password", "/app/db/user", "/app/web"], (await Store.ScanParametersAsync(Region, "/app", null, 10, Ct)).Select(x => x.Key));
        Assert.Equal(["/app/db/password", "/app/db/user", "/app/web"], (await Store.ScanParametersAsync(Region, "/app/", null, 10, Ct)).Select(x => x.Key));
        Assert.Equal(["/app/db/user"], (await Store.ScanParametersAsync(Region, "/app/", "/app/db/password", 1, Ct)).Select(x => x.Key));
        Assert.Equal(["/app", "/app/db/password", "/app/db/user", "/app/web", "/apq", "plain"], (await Store.ScanParametersAsync(Region, string.Empty, null, 10, Ct)).Select(x => x.Key));
        Assert.Equal(["eu-west-1", Region], await Store.ListParameterRegionsAsync(Ct));

        // An upsert replaces metadata and value, never the name.
        var next = new ParameterRecord { Region = Region, Key = p.Key, Name = "ignored", Current = ParamVersion(3, "three") };
        await Write(async tx =>
        {
            await tx.InsertParameterVersionAsync(Region, p.Key, ParamVersion(3, "three"), Ct);
            await tx.UpsertParameterAsync(next, Ct);
            await tx.DeleteParameterVersionAsync(Region, p.Key, 1, Ct);
        });
        var after = (await Store.FindParameterAsync(Region, p.Key, Ct))!;
        Assert.Equal(("/app/db/password", 3L), (after.Name, after.Current.Version));
        Assert.Empty(after.Labels);
        Assert.Equal([2L, 3L], (await Store.ListParameterVersionsAsync(Region, p.Key, Ct)).Select(v => v.Version));

        await Write(tx => tx.DeleteParameterAsync(Region, p.Key, Ct));
        Assert.Null(await Store.FindParameterAsync(Region, p.Key, Ct));
        Assert.Empty(await Store.ListParameterVersionsAsync(Region, p.Key, Ct));
        await Write(tx => tx.DeleteParameterAsync("eu-west-1", "/app/x", Ct));
        Assert.Equal([Region], await Store.ListParameterRegionsAsync(Ct));
    }

    // ------------------------------------------------------------ audit

    [Fact]
    public async Task Audit_AppendLastReadAndQuery()
    {
        Assert.Null(await Store.LastAuditAsync(Ct));
        var entries = Enumerable.Range(1, 10)
            .Select(i => NewAuditEntry(i, i % 3 == 0 ? "GetSecretValue" : "PutSecretValue", i % 2 == 0, i <= 5 ? "alice" : null, T0.AddMinutes(i)))
            .ToList();
        var first = await Store.AppendAuditAsync(entries.Take(4).ToList(), Ct);
        var second = await Store.AppendAuditAsync(entries.Skip(4).ToList(), Ct);
        Assert.Empty(await Store.AppendAuditAsync([], Ct));
        Assert.Equal([1L, 2, 3, 4], first.Select(r => r.Seq));
        Assert.Equal([5L, 6, 7, 8, 9, 10], second.Select(r => r.Seq));

        var last = (await Store.LastAuditAsync(Ct))!;
        Assert.Equal(10, last.Seq);
        Assert.Equal(ChainOf(AuditChain.Genesis, 0, entries.Select(e => e.Record)), last.Hash);
        Assert.Equal(second[^1].Hash, last.Hash);
        Assert.Equal((entries[9].EventId, entries[9].EventTime, entries[9].Record, entries[9].ReadOnly, entries[9].Username, entries[9].AccessKeyId, entries[9].ResourceName, entries[9].ResourceType, entries[9].EventSource),
            (last.EventId, last.EventTime, last.Record, last.ReadOnly, last.Username, last.AccessKeyId, last.ResourceName, last.ResourceType, last.EventSource));
        var verification = await AuditVerifier.VerifyAsync(Store, string.Empty, Ct);
        Assert.True(verification.Ok, verification.Message);
        Assert.Equal(10, verification.Records);

        Assert.Equal([4L, 5L, 6L], (await Store.ReadAuditAsync(3, 3, Ct)).Select(r => r.Seq));
        Assert.Empty(await Store.ReadAuditAsync(10, 3, Ct));

        async Task<long[]> Query(string? key, string? value, int? start = null, int? end = null, long? before = null, int limit = 100) =>
            [.. (await Store.QueryAuditAsync(new AuditQuery(key, value, start is null ? null : T0.AddMinutes(start.Value), end is null ? null : T0.AddMinutes(end.Value), before, limit), Ct)).Select(r => r.Seq)];

        Assert.Equal(new long[] { 10L, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, await Query(null, null));
        Assert.Equal(new long[] { 9L, 6, 3 }, await Query("EventName", "GetSecretValue"));
        Assert.Equal(new long[] { 10L, 8, 6, 4, 2 }, await Query("ReadOnly", "true"));
        Assert.Equal(new long[] { 9L, 7, 5, 3, 1 }, await Query("ReadOnly", "FALSE"));
        Assert.Equal(new long[] { 5L, 4, 3, 2, 1 }, await Query("Username", "alice"));
        Assert.Equal(new long[] { 5L, 4, 3, 2, 1 }, await Query("AccessKeyId", "AKIAalice"));
        Assert.Equal(new long[] { 3L }, await Query("EventId", "evt-3"));
        Assert.Equal(new long[] { 10L, 8, 6, 4, 2 }, await Query("ResourceName", "res-0"));
        Assert.Equal(10, (await Query("ResourceType", "AWS::SecretsManager::Secret")).Length);
        Assert.Equal(10, (await Query("EventSource", "secretsmanager.amazonaws.com")).Length);
        Assert.Equal(new long[] { 6L, 5, 4 }, await Query(null, null, start: 4, end: 6));
        Assert.Equal(new long[] { 6L, 3 }, await Query("EventName", "GetSecretValue", before: 9));
        Assert.Equal(new long[] { 10L, 9 }, await Query(null, null, limit: 2));
    }

    [Fact]
    public async Task Audit_ByResourceName_AcrossIndexPassesAndBuckets_AnswersWhatAScanWould()
    {
        // 70,100 records: several indexing passes (every AuditResourceIndex.IndexEvery), a bucket boundary at 65,536,
        // and an unindexed tail. Resource names: a hot one, a rare one, a few others and none.
        const int total = 70_100;
        static string? ResourceOf(long n) => n % 997 == 0 ? "rare" : n % 5 == 0 ? null : n % 2 == 0 ? "hot" : "res-" + (n % 3).ToString(CultureInfo.InvariantCulture);
        for (var from = 1; from <= total; from += 5_000)
        {
            await Store.AppendAuditAsync(
                [.. Enumerable.Range(from, Math.Min(5_000, total - from + 1)).Select(n => new AuditEntry(
                    "e" + n.ToString(CultureInfo.InvariantCulture), T0.AddSeconds(n), "E", "s", null, null, true, ResourceOf(n), null, "{}"))],
                Ct);
        }

        // A read of the trail waits until its tables hold every acknowledged record (SQLite fills them behind its journal).
        await Store.LastAuditAsync(Ct);
        var indexedTo = AuditResourceIndex.ParseSetting(await Store.GetSettingAsync(AuditResourceIndex.Setting, Ct));
        Assert.InRange(indexedTo, total - AuditResourceIndex.IndexEvery - 5_000, total - 1); // passes ran; a tail is left

        long[] Expected(string name, long before, int limit, int? startSecond = null, int? endSecond = null) =>
            [.. Enumerable.Range(1, total).Select(n => (long)n).Reverse()
                .Where(n => ResourceOf(n) == name && n < before && (startSecond is null || n >= startSecond) && (endSecond is null || n <= endSecond)).Take(limit)];

        async Task<long[]> Query(string name, long? before, int limit, int? startSecond = null, int? endSecond = null) =>
            [.. (await Store.QueryAuditAsync(
                new AuditQuery("ResourceName", name, startSecond is null ? null : T0.AddSeconds(startSecond.Value), endSecond is null ? null : T0.AddSeconds(endSecond.Value), before, limit), Ct))
                .Select(r => r.Seq)];

        foreach (var name in new[] { "hot", "rare", "res-1", "missing" })
        {
            Assert.Equal(Expected(name, long.MaxValue, 50), await Query(name, null, 50));
        }

        // Pages that straddle the index mark and the bucket boundary, and time bounds.
        foreach (var before in new[] { indexedTo + 3, indexedTo + 1, 65_540L, 65_537L, 65_536L, 1_000L, 2L })
        {
            Assert.Equal(Expected("hot", before, 7), await Query("hot", before, 7));
        }

        Assert.Equal(Expected("res-2", long.MaxValue, 20, 60_000, 66_000), await Query("res-2", null, 20, 60_000, 66_000));

        // The rare name, paged to the end: every record once, across buckets.
        var paged = new List<long>();
        long? cursor = null;
        while (true)
        {
            var page = await Query("rare", cursor, 9);
            paged.AddRange(page);
            if (page.Length < 9)
            {
                break;
            }

            cursor = page[^1];
        }

        Assert.Equal(Expected("rare", long.MaxValue, int.MaxValue), paged);

        // Archived records leave the index with the trail.
        await Store.RemoveArchivedAuditAsync(1, 66_000, [0x01], Ct);
        Assert.Equal(Expected("rare", long.MaxValue, int.MaxValue).Where(n => n > 66_000), await Query("rare", null, 100));
        Assert.Empty(await Query("rare", 66_000, 100));
    }

    [Fact]
    public async Task Audit_RemoveArchivedAndDigests()
    {
        await Store.AppendAuditAsync(Enumerable.Range(1, 6).Select(i => NewAuditEntry(i, "E", true, "u", T0.AddMinutes(i))).ToList(), Ct);
        await Store.RemoveArchivedAuditAsync(1, 4, [0xAB, 0x01], Ct);
        Assert.Equal([5L, 6L], (await Store.ReadAuditAsync(0, 100, Ct)).Select(r => r.Seq));
        Assert.Equal("4", await Store.GetSettingAsync("audit_archived_to_seq", Ct));
        Assert.Equal("ab01", await Store.GetSettingAsync("audit_archived_hash", Ct));
        Assert.Equal(6, (await Store.GetStatisticsAsync(Ct)).AuditRecords);

        Assert.Empty(await Store.ListAuditDigestsAsync(Ct));
        var second = new AuditDigest(4, 6, [6], T0.AddHours(2), [1, 1], [2, 2]);
        var first = new AuditDigest(1, 3, [3], T0.AddHours(1), [0], [9]);
        Assert.False(await Store.InsertAuditDigestAsync(second, Ct)); // does not follow the (absent) last digest
        Assert.True(await Store.InsertAuditDigestAsync(first, Ct));
        Assert.True(await Store.InsertAuditDigestAsync(second, Ct));
        var digests = await Store.ListAuditDigestsAsync(Ct);
        Assert.Equal([3L, 6L], digests.Select(d => d.ToSeq));
        Assert.Equal(first.DigestHash(), digests[0].DigestHash());
        Assert.Equal(second.DigestHash(), digests[1].DigestHash());
        Assert.Equal(6, (await Store.GetStatisticsAsync(Ct)).LastDigestSeq);
        Assert.False(await Store.InsertAuditDigestAsync(first, Ct)); // a stale digest (another node's race) is dropped
        Assert.Equal(2, (await Store.ListAuditDigestsAsync(Ct)).Count);
    }

    [Fact]
    public async Task AppendAuditAsync_EverythingArchived_ContinuesWhereTheArchiveEnds()
    {
        var stored = await Store.AppendAuditAsync(Enumerable.Range(1, 3).Select(i => NewAuditEntry(i, "E", true, null, T0)).ToList(), Ct);
        await Store.RemoveArchivedAuditAsync(1, 3, stored[^1].Hash, Ct);
        Assert.Null(await Store.LastAuditAsync(Ct));

        var next = await Store.AppendAuditAsync([NewAuditEntry(4, "E", true, null, T0)], Ct);
        Assert.Equal(4, next[0].Seq);
        Assert.Equal(AuditChain.Link(stored[^1].Hash, 4, next[0].Record), next[0].Hash);
        var verification = await AuditVerifier.VerifyAsync(Store, string.Empty, Ct);
        Assert.True(verification.Ok, verification.Message);
    }

    [Fact]
    public async Task AppendAuditAsync_ConcurrentWriters_OneGapFreeChain()
    {
        // Many writers at once (as several AuditLogs, or nodes, would be): the store numbers inside its transaction.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Store.AppendAuditAsync([NewAuditEntry(w * 100 + i, "E", true, null, T0), NewAuditEntry(w * 100 + i + 50, "E", true, null, T0)], Ct);
            }
        })));

        Assert.Equal(Enumerable.Range(1, 80).Select(i => (long)i), (await Store.ReadAuditAsync(0, 1000, Ct)).Select(r => r.Seq));
        var verification = await AuditVerifier.VerifyAsync(Store, string.Empty, Ct);
        Assert.True(verification.Ok, verification.Message);
    }

    // ------------------------------------------------------------ concurrent writes

    [Fact]
    public async Task WriteAsync_ManyConcurrent_SomeThrowing_ThrowersLeaveNothingAndTheRestCommitWithTheirResults()
    {
        var writes = Enumerable.Range(0, 120).Select(i => Task.Run(() => Write(async tx =>
        {
            await tx.SetSettingAsync($"group/{i}", "written", Ct);
            if (i % 3 == 0)
            {
                throw new InvalidOperationException($"work {i} failed");
            }

            return i;
        }))).ToList();

        for (var i = 0; i < writes.Count; i++)
        {
            if (i % 3 == 0)
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writes[i]);
                Assert.Equal($"work {i} failed", error.Message);
                Assert.Null(await Store.GetSettingAsync($"group/{i}", Ct));
            }
            else
            {
                Assert.Equal(i, await writes[i]);
                Assert.Equal("written", await Store.GetSettingAsync($"group/{i}", Ct));
            }
        }
    }

    [Fact]
    public async Task WriteAsync_ManyConcurrentReadModifyWrites_EachSeesTheOnesBefore()
    {
        await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => Task.Run(() => Write(async tx =>
        {
            var current = int.Parse(await tx.GetSettingAsync("counter", Ct) ?? "0", CultureInfo.InvariantCulture);
            await Task.Yield();
            await tx.SetSettingAsync("counter", (current + 1).ToString(CultureInfo.InvariantCulture), Ct);
            return true;
        }))));
        Assert.Equal("150", await Store.GetSettingAsync("counter", Ct));
    }

    [Fact]
    public async Task WriteAsync_CancelledBeforeItRuns_IsNotRunAndSaysSo()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteAsync(async tx =>
        {
            await tx.SetSettingAsync("cancelled", "ran", Ct);
            return true;
        }, cancelled.Token));
        Assert.Null(await Store.GetSettingAsync("cancelled", Ct));
    }

    // ------------------------------------------------------------ rotation runs

    private static RotationRun Run(string arn, int startedMinutes, string outcome = RotationOutcome.Running) => new()
    {
        SecretArn = arn,
        Region = Region,
        VersionId = "v-" + startedMinutes.ToString(CultureInfo.InvariantCulture),
        Trigger = RotationTrigger.Schedule,
        Outcome = outcome,
        StartedDate = T0.AddMinutes(startedMinutes),
    };

    [Fact]
    public async Task RotationRuns_InsertUpdateListRunningAndRetries()
    {
        var a = Run("arn:a", 1);
        var b = Run("arn:b", 2);
        Assert.True(await Store.InsertRotationRunAsync(a, Ct));
        Assert.True(await Store.InsertRotationRunAsync(b, Ct));
        Assert.True(a.RunId > 0 && b.RunId > a.RunId);
        Assert.Equal([a.RunId, b.RunId], (await Store.FindRunningRotationRunsAsync(Ct)).Select(r => r.RunId));

        // One Running run per secret, whichever node asks: a second one is refused and nothing is recorded.
        var twin = Run("arn:a", 2);
        twin.Node = "node-2";
        Assert.False(await Store.InsertRotationRunAsync(twin, Ct));
        Assert.Equal(0, twin.RunId);
        Assert.Single(await Store.ListRotationRunsAsync("arn:a", null, 10, Ct));

        a.Outcome = RotationOutcome.Failed;
        a.StepReached = "setSecret";
        a.Error = "boom";
        a.Attempt = 2;
        a.FinishedDate = T0.AddMinutes(5);
        a.RetryAt = T0.AddMinutes(10);
        await Store.UpdateRotationRunAsync(a, Ct);

        var c = Run("arn:a", 3);
        c.FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        c.Node = "node-2";
        Assert.True(await Store.InsertRotationRunAsync(c, Ct));
        Assert.True(c.RunId > b.RunId);

        b.Outcome = RotationOutcome.Failed;
        b.FinishedDate = T0.AddMinutes(5);
        b.RetryAt = T0.AddMinutes(8);
        await Store.UpdateRotationRunAsync(b, Ct);

        Assert.Equal([c.RunId], (await Store.FindRunningRotationRunsAsync(Ct)).Select(r => r.RunId));
        Assert.Equal([b.RunId, a.RunId], (await Store.FindRotationRetriesDueAsync(T0.AddMinutes(10), 10, Ct)).Select(r => r.RunId));
        Assert.Equal([b.RunId], (await Store.FindRotationRetriesDueAsync(T0.AddMinutes(9), 10, Ct)).Select(r => r.RunId));
        Assert.Equal([b.RunId], (await Store.FindRotationRetriesDueAsync(T0.AddMinutes(10), 1, Ct)).Select(r => r.RunId));

        Assert.Equal([c.RunId, b.RunId, a.RunId], (await Store.ListRotationRunsAsync(null, null, 10, Ct)).Select(r => r.RunId));
        Assert.Equal([c.RunId, a.RunId], (await Store.ListRotationRunsAsync("arn:a", null, 10, Ct)).Select(r => r.RunId));
        Assert.Equal([a.RunId], (await Store.ListRotationRunsAsync("arn:a", c.RunId, 10, Ct)).Select(r => r.RunId));
        Assert.Equal([c.RunId], (await Store.ListRotationRunsAsync(null, null, 1, Ct)).Select(r => r.RunId));

        var stored = (await Store.ListRotationRunsAsync("arn:a", c.RunId, 10, Ct)).Single();
        Assert.Equal(("arn:a", Region, "v-1", null, RotationTrigger.Schedule, 2, "setSecret", RotationOutcome.Failed, "boom"),
            (stored.SecretArn, stored.Region, stored.VersionId, stored.FunctionArn, stored.Trigger, stored.Attempt, stored.StepReached, stored.Outcome, stored.Error));
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(5), T0.AddMinutes(10)), (stored.StartedDate, stored.FinishedDate!.Value, stored.RetryAt!.Value));
        Assert.Equal((c.FunctionArn, "node-2"), (await Store.ListRotationRunsAsync("arn:a", null, 1, Ct)).Select(r => (r.FunctionArn, r.Node)).Single());
        Assert.Null(stored.Node);
    }

    // ------------------------------------------------------------ event outbox

    private static Core.Events.OutboxEntry Outbox(string id, string endpoint, DateTimeOffset created) => new()
    {
        EventId = id, Endpoint = endpoint, DetailType = "Secrets Manager Secret Deleted", Body = "{}", CreatedDate = created,
        Deadline = created.AddHours(1), NextAttempt = created,
    };

    private sealed class InjectedFailure : Exception
    {
        public InjectedFailure()
            : base("injected after the outbox insert")
        {
        }
    }

    /// <summary>
    /// A rotation run's row and its event's outbox row (ADR 0028) are one transaction: a failure after both inserts
    /// leaves neither, for the insert and for the update; without the failure both are stored.
    /// </summary>
    [Fact]
    public async Task RotationRuns_InsertAndUpdate_CommitOrRollBackTogetherWithTheirOutboxRow()
    {
        // Insert, then a failure: no run, no event; the secret can start a run afterwards (no Running row was left).
        var lost = Run("arn:tx", 1);
        await Assert.ThrowsAsync<InjectedFailure>(() => Store.WriteAsync<bool>(
            async tx =>
            {
                Assert.True(await tx.InsertRotationRunAsync(lost, Ct));
                await tx.InsertOutboxEntryAsync(Outbox("started-lost", "hook", T0), Ct);
                throw new InjectedFailure();
            },
            Ct));
        Assert.Empty(await Store.ListRotationRunsAsync("arn:tx", null, 10, Ct));
        Assert.Empty(await Store.ListOutboxAsync(null, 10, Ct));

        // Insert with its event: both.
        var run = Run("arn:tx", 2);
        Assert.True(await Write(async tx =>
        {
            var inserted = await tx.InsertRotationRunAsync(run, Ct);
            await tx.InsertOutboxEntryAsync(Outbox("started", "hook", T0), Ct);
            return inserted;
        }));
        Assert.Equal([run.RunId], (await Store.ListRotationRunsAsync("arn:tx", null, 10, Ct)).Select(r => r.RunId));
        Assert.Equal(["started"], (await Store.ListOutboxAsync(null, 10, Ct)).Select(e => e.EventId));

        // The transaction's insert keeps the one-Running-run rule.
        Assert.False(await Write(tx => tx.InsertRotationRunAsync(Run("arn:tx", 3), Ct)));

        // Update, then a failure: the row keeps its Running state, no event.
        run.Outcome = RotationOutcome.Succeeded;
        run.StepReached = "finishSecret";
        run.FinishedDate = T0.AddMinutes(4);
        await Assert.ThrowsAsync<InjectedFailure>(() => Store.WriteAsync<bool>(
            async tx =>
            {
                await tx.UpdateRotationRunAsync(run, Ct);
                await tx.InsertOutboxEntryAsync(Outbox("ended-lost", "hook", T0.AddMinutes(4)), Ct);
                throw new InjectedFailure();
            },
            Ct));
        var stillRunning = Assert.Single(await Store.FindRunningRotationRunsAsync(Ct));
        Assert.Equal((run.RunId, (string?)null, (DateTimeOffset?)null), (stillRunning.RunId, stillRunning.StepReached, stillRunning.FinishedDate));
        Assert.Equal(["started"], (await Store.ListOutboxAsync(null, 10, Ct)).Select(e => e.EventId));

        // Update with its event: both.
        await Write(async tx =>
        {
            await tx.UpdateRotationRunAsync(run, Ct);
            await tx.InsertOutboxEntryAsync(Outbox("ended", "hook", T0.AddMinutes(4)), Ct);
        });
        Assert.Empty(await Store.FindRunningRotationRunsAsync(Ct));
        var ended = Assert.Single(await Store.ListRotationRunsAsync("arn:tx", null, 10, Ct));
        Assert.Equal((RotationOutcome.Succeeded, "finishSecret"), (ended.Outcome, ended.StepReached));
        Assert.Equal(["ended", "started"], (await Store.ListOutboxAsync(null, 10, Ct)).Select(e => e.EventId));
    }

    [Fact]
    public async Task Outbox_DueListRedeliverPruneCount_AndOneRowPerEventAndEndpoint()
    {
        await Store.WriteAsync(
            async tx =>
            {
                await tx.InsertOutboxEntryAsync(Outbox("e1", "a", T0), Ct);
                await tx.InsertOutboxEntryAsync(Outbox("e1", "b", T0), Ct);
                await tx.InsertOutboxEntryAsync(Outbox("e2", "a", T0.AddMinutes(1)), Ct);
                return true;
            },
            Ct);

        // The same event and endpoint twice is refused, and the failed transaction leaves nothing behind.
        await Assert.ThrowsAnyAsync<Exception>(() => Store.WriteAsync(
            async tx =>
            {
                await tx.InsertOutboxEntryAsync(Outbox("e3", "a", T0), Ct);
                await tx.InsertOutboxEntryAsync(Outbox("e1", "a", T0), Ct);
                return true;
            },
            Ct));
        Assert.Equal(new Core.Events.OutboxCounts(3, 0), await Store.CountOutboxAsync(Ct));

        Assert.Equal(["e1/a", "e1/b"], (await Store.FindOutboxDueAsync(T0, 10, Ct)).Select(e => e.EventId + "/" + e.Endpoint));
        Assert.Equal(3, (await Store.FindOutboxDueAsync(T0.AddMinutes(1), 10, Ct)).Count);

        var dead = (await Store.FindOutboxDueAsync(T0, 10, Ct))[0];
        dead.State = Core.Events.OutboxStates.Dead;
        dead.Attempts = 4;
        dead.LastError = "HTTP 500";
        await Store.UpdateOutboxEntryAsync(dead, Ct);
        var delivered = (await Store.FindOutboxDueAsync(T0, 10, Ct)).Single();
        delivered.State = Core.Events.OutboxStates.Delivered;
        delivered.DeliveredDate = T0.AddSeconds(2);
        await Store.UpdateOutboxEntryAsync(delivered, Ct);

        Assert.Equal(new Core.Events.OutboxCounts(1, 1), await Store.CountOutboxAsync(Ct));
        var listedDead = Assert.Single(await Store.ListOutboxAsync(Core.Events.OutboxStates.Dead, 10, Ct));
        Assert.Equal(("e1", "a", 4, "HTTP 500"), (listedDead.EventId, listedDead.Endpoint, listedDead.Attempts, listedDead.LastError));
        Assert.Equal(["e2", "e1", "e1"], (await Store.ListOutboxAsync(null, 10, Ct)).Select(e => e.EventId));

        // Redelivery makes every entry of the event pending again with a new deadline; an unknown id changes nothing.
        Assert.Equal(0, await Store.RedeliverOutboxAsync("nope", T0.AddMinutes(5), T0.AddHours(5), Ct));
        Assert.Equal(2, await Store.RedeliverOutboxAsync("e1", T0.AddMinutes(5), T0.AddHours(5), Ct));
        var again = await Store.FindOutboxDueAsync(T0.AddMinutes(5), 10, Ct);
        Assert.Equal(3, again.Count);
        Assert.All(again.Where(e => e.EventId == "e1"), e => Assert.Equal((0, T0.AddHours(5), (DateTimeOffset?)null), (e.Attempts, e.Deadline, e.DeliveredDate)));

        // Pruning removes only delivered entries delivered before the cut.
        var done = again[0];
        done.State = Core.Events.OutboxStates.Delivered;
        done.DeliveredDate = T0.AddMinutes(6);
        await Store.UpdateOutboxEntryAsync(done, Ct);
        await Store.PruneOutboxAsync(T0.AddMinutes(6), Ct);
        Assert.Equal(3, (await Store.ListOutboxAsync(null, 10, Ct)).Count);
        await Store.PruneOutboxAsync(T0.AddMinutes(7), Ct);
        Assert.Equal(2, (await Store.ListOutboxAsync(null, 10, Ct)).Count);
    }

    // ------------------------------------------------------------ root-wrapped values

    [Fact]
    public async Task RootWrapped_NamedAndKms_ListAndReplace_AccessKeysApart()
    {
        var keyId = Guid.NewGuid();
        var key = NewKey(keyId);
        await Write(async tx =>
        {
            Assert.Null(await tx.GetRootWrappedAsync("audit-signing", Ct));
            await tx.PutRootWrappedAsync("audit-signing", [1], Ct);
            await tx.PutRootWrappedAsync("audit-signing", [2], Ct);
            await tx.InsertKmsKeyAsync(key, [10], Ct);
            await tx.InsertKmsKeyVersionAsync(keyId, new KmsKeyVersion(2, T0, "ON_DEMAND"), [11], Ct);
            await tx.UpsertAccessKeyAsync(new AccessKeyRecord { AccessKeyId = "AKIAX", WrappedSecret = [20], PrincipalArn = "p", UserName = "u", Status = "Active" }, Ct);
        });

        // Access-key secrets are bound to their principal: rotation re-wraps them from ListAllAccessKeysAsync, not from here.

        var values = await Write(tx => tx.ListRootWrappedAsync(Ct));
        Assert.Equal(
            [
                ("kms", keyId.ToString("D"), 1L, key.Arn + "#1", (byte)10),
                ("kms", keyId.ToString("D"), 2L, key.Arn + "#2", (byte)11),
                ("named", "audit-signing", 0L, "named:audit-signing", (byte)2),
            ],
            values.Select(v => (v.Kind, v.Id, v.Version, v.Binding, v.Wrapped.Single())));

        await Write(async tx =>
        {
            foreach (var v in values)
            {
                await tx.ReplaceRootWrappedAsync(v, [(byte)(v.Wrapped[0] + 100)], Ct);
            }
        });
        Assert.Equal(new byte[] { (byte)110 }, await Store.GetKmsKeyMaterialAsync(keyId, 1, Ct));
        Assert.Equal(new byte[] { (byte)111 }, await Store.GetKmsKeyMaterialAsync(keyId, 2, Ct));
        Assert.Equal(new byte[] { (byte)20 }, (await Store.FindAccessKeyAsync("AKIAX", Ct))!.WrappedSecret);
        Assert.Equal(new byte[] { (byte)102 }, await Write(tx => tx.GetRootWrappedAsync("audit-signing", Ct)));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Write(tx => tx.ReplaceRootWrappedAsync(new RootWrappedValue("named", "missing", 0, "named:missing", [1]), [2], Ct)));
        await Assert.ThrowsAsync<ArgumentException>(() => Write(tx => tx.ReplaceRootWrappedAsync(new RootWrappedValue("access-key", "AKIAX", 0, "access-key:AKIAX", [20]), [2], Ct)));
    }

    // ------------------------------------------------------------ statistics

    [Fact]
    public async Task Statistics_CountEveryKind()
    {
        Assert.Equal(new StoreStatistics(0, 0, 0, 0, 0, 0), await Store.GetStatisticsAsync(Ct));
        var s1 = await InsertSecret(NewSecret("one"));
        await InsertSecret(NewSecret("two"));
        await Write(async tx =>
        {
            await tx.InsertVersionAsync(s1.Id, NewVersion("a", T0, [1]), Ct);
            await tx.InsertVersionAsync(s1.Id, NewVersion("b", T0, [1]), Ct);
            await tx.InsertVersionAsync(s1.Id, NewVersion("c", T0), Ct);
            var k = Guid.NewGuid();
            await tx.InsertKmsKeyAsync(NewKey(k), [1], Ct);
            await tx.InsertKmsKeyVersionAsync(k, new KmsKeyVersion(2, T0, "AUTOMATIC"), [2], Ct);
        });
        await Store.AppendAuditAsync([NewAuditEntry(1, "E", true, null, T0), NewAuditEntry(2, "E", true, null, T0)], Ct);
        await Store.InsertAuditDigestAsync(new AuditDigest(1, 2, [1], T0, [0], [0]), Ct);
        Assert.Equal(new StoreStatistics(2, 3, 1, 2, 2, 2), await Store.GetStatisticsAsync(Ct));
    }
}
