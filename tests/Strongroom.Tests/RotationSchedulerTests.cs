using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Xunit;

namespace Strongroom.Tests;

/// <summary>
/// The rotation scheduler and runner driven by a fake clock over a real store: when rotations run
/// (AutomaticallyAfterDays, rate, cron with L and #, Duration windows, missed windows), what a failed,
/// hung or interrupted run leaves behind, retries with backoff and giving up until the next window.
/// The rotation function is an in-process one that follows AWS's four-step contract through the
/// same SecretsService the API uses.
/// </summary>
public sealed class RotationSchedulerTests : IAsyncLifetime
{
    private const string Region = ServiceFixture.Region;
    private const string Lambda = "arn:aws:lambda:us-east-1:111122223333:function:rotator";
    private ServiceFixture _fx = null!;
    private SecretsService _secrets = null!;
    private RotationScheduler _scheduler = null!;
    private RotationRunner _runner = null!;
    private readonly ContractFunction _function = new();
    private readonly RecordingObserver _observer = new();
    private readonly FakeCredentials _credentials = new();
    private readonly RotationOptions _options = new() { MaxAttempts = 3, RetryBase = TimeSpan.FromMinutes(1) };

    private FakeTimeProvider Time => _fx.Time;

    public async Task InitializeAsync()
    {
        _fx = await ServiceFixture.CreateAsync();
        var identity = new ServerIdentity("111122223333", Region);
        _scheduler = new RotationScheduler(_fx.Store, () => _secrets, () => _runner, _observer, _options, Time);
        _secrets = new SecretsService(_fx.Store, _fx.Keys, identity, Time, _scheduler);
        _function.Secrets = _secrets;
        _runner = new RotationRunner(_fx.Store, _secrets, new OneFunction(), _function, _credentials, _observer, _options, Time);
    }

    public async Task DisposeAsync()
    {
        await _scheduler.WhenIdleAsync();
        await _fx.DisposeAsync();
    }

    private async Task<string> CreateAsync(string name, string value = "v0") => (await _fx.CreateAsync(name, value)).Secret.Arn;

    private Task ConfigureAsync(string arn, RotationRules rules, bool immediately = false) =>
        _secrets.Rotation.RotateSecretAsync(Region, new RotateSecretRequest(arn, null, Lambda, rules, immediately), CancellationToken.None);

    /// <summary>One scheduler pass at the fake clock's time, then wait for what it started.</summary>
    private async Task TickAsync()
    {
        _scheduler.DispatchQueued(CancellationToken.None);
        await _scheduler.TickAsync(CancellationToken.None);
        await _scheduler.WhenIdleAsync();
    }

    private async Task<SecretView> DescribeAsync(string arn) => await _secrets.Reads.DescribeSecretAsync(Region, arn, CancellationToken.None);

    private async Task<IReadOnlyList<RotationRun>> RunsAsync(string arn) => await _fx.Store.ListRotationRunsAsync(arn, null, 100, CancellationToken.None);

    private void SetClock(int month, int day, int hour, int minute = 0) => Time.SetUtcNow(new DateTimeOffset(2026, month, day, hour, minute, 0, TimeSpan.Zero));

    [Fact]
    public async Task RotateImmediately_RunsFourStepsAndMovesAwsCurrent()
    {
        var arn = await CreateAsync("rot/immediate", "old");
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        await TickAsync();

        var runs = await RunsAsync(arn);
        var run = Assert.Single(runs);
        Assert.Equal(RotationOutcome.Succeeded, run.Outcome);
        Assert.Equal(RotationTrigger.RotateSecret, run.Trigger);
        Assert.Equal(["createSecret", "setSecret", "testSecret", "finishSecret"], _function.Calls.Select(c => c.Step));
        Assert.NotEqual("old", await _fx.ReadAsync(arn));
        Assert.Equal("old", await _fx.ReadAsync(arn, stage: "AWSPREVIOUS"));
        var view = await DescribeAsync(arn);
        Assert.Equal(Time.GetUtcNow(), view.Secret.LastRotatedDate);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero), view.Secret.NextRotationDate);
        Assert.Equal(["RotationStarted", "RotationSucceeded"], _observer.Events);
    }

    [Fact]
    public async Task Run_CredentialsNarrowedToTheSecretAndItsMaster()
    {
        var master = await CreateAsync("rot/master", """{"username":"admin","password":"m"}""");
        var other = await CreateAsync("rot/other");
        var arn = await CreateAsync("rot/scoped", $$"""{"username":"app","password":"p","masterarn":"rot/master"}""");
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        await TickAsync();

        var policy = Core.Policies.PolicyDocument.Parse(Assert.Single(_credentials.SessionPolicies));
        bool Allows(string action, string resource) => Core.Policies.PolicyEvaluator.Evaluate(
            new Core.Policies.RequestContext { Action = action, Resource = resource }.With("kms:ViaService", $"secretsmanager.{Region}.amazonaws.com"),
            [new Core.Policies.NamedPolicy("session", policy)]).Allowed;
        foreach (var action in RotationSessionPolicy.SecretActions)
        {
            Assert.True(Allows(action, arn), action);
            Assert.False(Allows(action, other), action + " on another secret");
        }

        Assert.True(Allows("secretsmanager:GetSecretValue", master));
        Assert.False(Allows("secretsmanager:PutSecretValue", master));
        Assert.True(Allows("secretsmanager:GetRandomPassword", "*"));
        Assert.True(Allows("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/any"));
        Assert.False(Allows("secretsmanager:DeleteSecret", arn));
        Assert.False(Allows("iam:CreateUser", "*"));
        Assert.False(Allows("ssm:GetParameter", "*"));
    }

    [Fact]
    public async Task RotateImmediatelyFalse_RunsOnlyTestSecretOnTheCurrentVersion()
    {
        var arn = await CreateAsync("rot/test-only", "v");
        var current = (await DescribeAsync(arn)).VersionStages.Single(kv => kv.Value.Contains("AWSCURRENT")).Key;
        await ConfigureAsync(arn, new RotationRules(7, null, null));
        await TickAsync();

        var call = Assert.Single(_function.Calls);
        Assert.Equal(("testSecret", current), (call.Step, call.Token));
        Assert.Equal(RotationTrigger.Test, Assert.Single(await RunsAsync(arn)).Trigger);
        Assert.Equal("v", await _fx.ReadAsync(arn));
        Assert.Equal(["TestRotationStarted", "TestRotationSucceeded"], _observer.Events);
    }

    [Fact]
    public async Task AutomaticallyAfterDays_RotatesInsideTheDayWindowAndNotBefore()
    {
        // 10:00 Nov 1: one day after → the window is all of Nov 2 (NextRotationDate = Nov 3 00:00).
        var arn = await CreateAsync("rot/days");
        await ConfigureAsync(arn, new RotationRules(1, null, null));
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero), (await DescribeAsync(arn)).Secret.NextRotationDate);
        await TickAsync(); // the test run of RotateImmediately=false
        _function.Calls.Clear();

        SetClock(11, 1, 23, 59);
        await TickAsync();
        Assert.Empty(_function.Calls);

        var planned = RotationSchedule.PlannedMoment(arn, new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero));
        Assert.InRange(planned, new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 2, 23, 45, 0, TimeSpan.Zero));
        Time.SetUtcNow(planned - TimeSpan.FromSeconds(1));
        await TickAsync();
        Assert.Empty(_function.Calls);

        Time.SetUtcNow(planned);
        await TickAsync();
        Assert.Equal(4, _function.Calls.Count);
        var view = await DescribeAsync(arn);
        Assert.Equal(planned, view.Secret.LastRotatedDate);
        Assert.Equal(new DateTimeOffset(2026, 11, 4, 0, 0, 0, TimeSpan.Zero), view.Secret.NextRotationDate);

        // Once rotated, the same window does not rotate again.
        Time.SetUtcNow(new DateTimeOffset(2026, 11, 2, 23, 59, 0, TimeSpan.Zero));
        await TickAsync();
        Assert.Equal(4, _function.Calls.Count);
    }

    [Theory]
    // rate(4 hours) from 10:00: windows start at 00:00 + 4h·n; the next is 12:00–13:00.
    [InlineData("rate(4 hours)", null, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z", "2026-11-01T17:00:00Z")]
    // The last day of the month at 17:00, until the end of that day.
    [InlineData("cron(0 17 L * ? *)", null, "2026-11-30T17:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    // The first Sunday of every third month from January, 01:00 until midnight.
    [InlineData("cron(0 1 ? 1/3 SUN#1 *)", null, "2027-01-03T01:00:00Z", "2027-01-04T00:00:00Z", "2027-04-05T00:00:00Z")]
    // 1st and 15th at 16:00 with a 2-hour window (Nov 1 itself is a 1st).
    [InlineData("cron(0 16 1,15 * ? *)", "2h", "2026-11-01T16:00:00Z", "2026-11-01T18:00:00Z", "2026-11-15T18:00:00Z")]
    // Every 8 hours from 08:00, restarting each day (08:00, 16:00): an hourly schedule, so one-hour windows.
    [InlineData("cron(0 8/8 * * ? *)", null, "2026-11-01T16:00:00Z", "2026-11-01T17:00:00Z", "2026-11-02T09:00:00Z")]
    public async Task ScheduleExpressions_RotateInsideTheirWindowOnly(string expression, string? duration, string windowStart, string windowEnd, string nextEnd)
    {
        var start = DateTimeOffset.Parse(windowStart, System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(windowEnd, System.Globalization.CultureInfo.InvariantCulture);
        var arn = await CreateAsync("rot/expr");
        await ConfigureAsync(arn, new RotationRules(null, duration, expression));
        await TickAsync();
        _function.Calls.Clear();
        Assert.Equal(end, (await DescribeAsync(arn)).Secret.NextRotationDate);
        Assert.Equal(start, RotationSchedule.WindowStart(new RotationRules(null, duration, expression), end));

        Time.SetUtcNow(start - TimeSpan.FromMinutes(1));
        await TickAsync();
        Assert.Empty(_function.Calls);

        var planned = RotationSchedule.PlannedMoment(arn, start, end);
        Assert.True(planned >= start && planned < end, $"planned {planned:O} outside [{start:O}, {end:O})");
        Time.SetUtcNow(planned);
        await TickAsync();
        Assert.Equal(4, _function.Calls.Count);
        Assert.Equal(DateTimeOffset.Parse(nextEnd, System.Globalization.CultureInfo.InvariantCulture), (await DescribeAsync(arn)).Secret.NextRotationDate);
    }

    [Fact]
    public async Task MissedWindow_RotatesAtOnceWhenTheServerIsBack()
    {
        var arn = await CreateAsync("rot/missed");
        await ConfigureAsync(arn, new RotationRules(1, "2h", null));
        await TickAsync();
        _function.Calls.Clear();

        // The window (Nov 2, 00:00–02:00) passed while nothing ran; three days later the first tick rotates.
        SetClock(11, 5, 9);
        await TickAsync();
        Assert.Equal(4, _function.Calls.Count);
        Assert.Equal(RotationTrigger.Schedule, Assert.Single(await RunsAsync(arn), r => r.Trigger == RotationTrigger.Schedule).Trigger);
        Assert.Equal(new DateTimeOffset(2026, 11, 6, 2, 0, 0, TimeSpan.Zero), (await DescribeAsync(arn)).Secret.NextRotationDate);
    }

    private async Task<RotationSecretHealth> HealthAsync(string arn) =>
        Assert.Single(await new RotationHealth(_fx.Store, Time).ComputeAsync(CancellationToken.None), h => h.SecretArn == arn);

    [Fact]
    public async Task Health_CountsFailuresInARow_UntilASuccess()
    {
        var arn = await CreateAsync("health/retry", "old");
        _function.FailStep = "setSecret";
        _function.FailuresLeft = 2;
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        await TickAsync();
        var health = await HealthAsync(arn);
        Assert.Equal((1, true, false, false, null), (health.ConsecutiveFailures, health.Failing, health.Overdue, health.NeverRan, health.LastSuccess));
        Assert.Equal("setSecret: the database refused the connection.", health.LastError);

        Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync();
        Assert.Equal(2, (await HealthAsync(arn)).ConsecutiveFailures);

        Time.Advance(TimeSpan.FromMinutes(2));
        await TickAsync();
        health = await HealthAsync(arn);
        Assert.Equal((0, RotationOutcome.Succeeded, Time.GetUtcNow()), (health.ConsecutiveFailures, health.LastOutcome, health.LastSuccess));
        Assert.Equal((await DescribeAsync(arn)).Secret.NextRotationDate, health.NextDue);
    }

    [Fact]
    public async Task Health_AWindowThatEndedUnrotated_IsOverdueAfterTheGrace_AndNeverRanWithoutARun()
    {
        var arn = await CreateAsync("health/idle", "v");
        await ConfigureAsync(arn, new RotationRules(7, null, null));
        await TickAsync(); // RotateImmediately=false: a test run only, which does not count as a rotation run.
        var due = (await DescribeAsync(arn)).Secret.NextRotationDate!.Value;
        var health = await HealthAsync(arn);
        Assert.Equal((false, false, 0), (health.Overdue, health.NeverRan, health.ConsecutiveFailures));

        // The scheduler does not run (no tick): the window ends with no run ever started.
        Time.SetUtcNow(due + TimeSpan.FromMinutes(30));
        health = await HealthAsync(arn);
        Assert.Equal((false, true), (health.Overdue, health.NeverRan));

        Time.SetUtcNow(due + RotationHealth.OverdueGrace + TimeSpan.FromMinutes(1));
        health = await HealthAsync(arn);
        Assert.Equal((true, true, RotationHealth.OverdueGrace + TimeSpan.FromMinutes(1)), (health.Overdue, health.NeverRan, health.OverdueBy));
    }

    [Fact]
    public async Task Run_OutputIsStoredMaskedPerStep_WithThePendingValueAndSessionKeysReplaced()
    {
        var arn = await CreateAsync("health/chatty", """{"username":"app","password":"old-password-1"}""");
        _function.Chatty = true;
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        await TickAsync();

        var run = Assert.Single(await RunsAsync(arn));
        Assert.Equal(RotationOutcome.Succeeded, run.Outcome);
        var pending = await _fx.ReadAsync(arn);
        Assert.StartsWith("new-", pending, StringComparison.Ordinal);
        Assert.Equal(
            "[createSecret stdout]\ncurrent ********, pending ********, key ********\n" +
            "[setSecret stdout]\ncurrent ********, pending ********, key ********\n" +
            "[testSecret stdout]\ncurrent ********, pending ********, key ********\n" +
            "[finishSecret stdout]\ncurrent ********, pending ********, key ********\n",
            run.Output);
    }

    [Fact]
    public async Task FailedStep_KeepsCurrentAndPending_RetriesWithBackoff_ThenSucceeds()
    {
        var arn = await CreateAsync("rot/retry", "old");
        _function.FailStep = "setSecret";
        _function.FailuresLeft = 2;
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        await TickAsync();

        var first = Assert.Single(await RunsAsync(arn));
        Assert.Equal(RotationOutcome.Failed, first.Outcome);
        Assert.Equal("setSecret", first.StepReached);
        Assert.Equal(Time.GetUtcNow() + TimeSpan.FromMinutes(1), first.RetryAt);
        Assert.Equal("setSecret: the database refused the connection.", first.Error);
        Assert.Equal("old", await _fx.ReadAsync(arn));
        var pending = (await DescribeAsync(arn)).VersionStages.Single(kv => kv.Value.Contains("AWSPENDING")).Key;
        Assert.Equal(first.VersionId, pending);

        Time.Advance(TimeSpan.FromSeconds(59));
        await TickAsync();
        Assert.Single(await RunsAsync(arn));

        Time.Advance(TimeSpan.FromSeconds(1));
        await TickAsync();
        var second = (await RunsAsync(arn))[0];
        Assert.Equal((2, RotationOutcome.Failed, RotationTrigger.Retry), (second.Attempt, second.Outcome, second.Trigger));
        Assert.Equal(Time.GetUtcNow() + TimeSpan.FromMinutes(2), second.RetryAt);

        Time.Advance(TimeSpan.FromMinutes(2));
        await TickAsync();
        var third = (await RunsAsync(arn))[0];
        Assert.Equal((3, RotationOutcome.Succeeded), (third.Attempt, third.Outcome));
        Assert.Equal(pending, third.VersionId);
        Assert.NotEqual("old", await _fx.ReadAsync(arn));
        Assert.Equal("old", await _fx.ReadAsync(arn, stage: "AWSPREVIOUS"));
        Assert.Equal(["RotationStarted", "RotationFailed", "RotationStarted", "RotationFailed", "RotationStarted", "RotationSucceeded"], _observer.Events);
    }

    [Fact]
    public async Task OutOfRetries_IsAbandonedUntilTheNextWindow_ThenRotates()
    {
        var arn = await CreateAsync("rot/abandon", "old");
        _function.FailStep = "testSecret";
        _function.FailuresLeft = 3;
        await ConfigureAsync(arn, new RotationRules(1, null, null), immediately: true);
        await TickAsync();
        Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync();
        Time.Advance(TimeSpan.FromMinutes(2));
        await TickAsync();

        var last = (await RunsAsync(arn))[0];
        Assert.Equal((3, RotationOutcome.Abandoned), (last.Attempt, last.Outcome));
        Assert.Equal("testSecret: could not log in.", last.Error); // a message that names its step is not prefixed twice
        Assert.Null(last.RetryAt);
        Assert.Equal("old", await _fx.ReadAsync(arn));
        Assert.Contains("RotationAbandoned", _observer.Events);
        // Given up until the next window: the day after today (Nov 2), ending Nov 3 00:00.
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero), (await DescribeAsync(arn)).Secret.NextRotationDate);

        Time.Advance(TimeSpan.FromHours(1));
        await TickAsync();
        Assert.Equal(3, (await RunsAsync(arn)).Count);

        SetClock(11, 3, 0);
        await TickAsync();
        var scheduled = (await RunsAsync(arn))[0];
        Assert.Equal((RotationTrigger.Schedule, RotationOutcome.Succeeded, last.VersionId), (scheduled.Trigger, scheduled.Outcome, scheduled.VersionId));
        Assert.NotEqual("old", await _fx.ReadAsync(arn));
    }

    [Theory]
    [InlineData("createSecret")]
    [InlineData("setSecret")]
    [InlineData("testSecret")]
    [InlineData("finishSecret")]
    public async Task HungStep_TimesOut_AndCurrentStillReads(string step)
    {
        var arn = await CreateAsync("rot/hang", "old");
        _function.HangStep = step;
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        _scheduler.DispatchQueued(CancellationToken.None);
        await _function.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Time.Advance(TimeSpan.FromSeconds(OneFunction.Timeout));
        await _scheduler.WhenIdleAsync();

        var run = Assert.Single(await RunsAsync(arn));
        Assert.Equal((RotationOutcome.Failed, step), (run.Outcome, run.StepReached));
        Assert.Equal($"{step}: timed out after {OneFunction.Timeout} s.", run.Error);
        Assert.Equal("old", await _fx.ReadAsync(arn));
        Assert.NotNull(run.RetryAt);
    }

    [Fact]
    public async Task RunLeftRunningByACrash_IsInterruptedAndRetriedAtStart()
    {
        var arn = await CreateAsync("rot/crash", "old");
        await ConfigureAsync(arn, new RotationRules(30, null, null));
        await TickAsync(); // the test run of RotateImmediately=false
        var pending = await _secrets.Rotation.BeginScheduledRotationAsync(arn, CancellationToken.None);
        Assert.NotNull(pending);
        // What a process killed during setSecret leaves: a run still marked Running.
        await _fx.Store.InsertRotationRunAsync(new RotationRun { SecretArn = arn, Region = Region, VersionId = pending, Trigger = RotationTrigger.Schedule, StepReached = "setSecret", StartedDate = Time.GetUtcNow() }, CancellationToken.None);

        await _scheduler.RecoverAsync(CancellationToken.None);
        var interrupted = Assert.Single(await RunsAsync(arn), r => r.Outcome == RotationOutcome.Interrupted);
        Assert.Equal(Time.GetUtcNow(), interrupted.RetryAt);
        await TickAsync();

        var retried = (await RunsAsync(arn))[0];
        Assert.Equal((RotationTrigger.Retry, 2, RotationOutcome.Succeeded, pending), (retried.Trigger, retried.Attempt, retried.Outcome, retried.VersionId));
        Assert.NotEqual("old", await _fx.ReadAsync(arn));
    }

    /// <summary>The host's outbox (ADR 0028) with one endpoint that takes every event.</summary>
    private Strongroom.Server.EventOutbox NewOutbox()
    {
        var options = new Strongroom.Server.ServerOptions
        {
            EventEndpointsConfig = [new Strongroom.Server.EventEndpointOptions { Name = "hook", Url = new Uri("http://127.0.0.1:9/hook") }],
        };
        Assert.Empty(options.Validate());
        return new Strongroom.Server.EventOutbox(options, new ServerIdentity("111122223333", Region), Time);
    }

    private async Task<List<(string Type, string RunId, string Outcome)>> RunEventsAsync() =>
        [.. (await _fx.Store.ListOutboxAsync(null, 100, CancellationToken.None)).Reverse().Select(e => System.Text.Json.JsonDocument.Parse(e.Body).RootElement)
            .Select(b => (b.GetProperty("detail-type").GetString()!, b.GetProperty("detail").GetProperty("runId").GetString()!, b.GetProperty("detail").GetProperty("outcome").GetString()!))
            .OrderBy(e => long.Parse(e.Item2, System.Globalization.CultureInfo.InvariantCulture)).ThenBy(e => e.Item1 == Core.Events.EventCatalog.RotationStarted ? 0 : 1)]; // the fake clock stands still

    [Fact]
    public async Task RunEvents_AreStoredInTheTransactionsOfTheRunRow_AndAFailureToStoreOneLeavesTheRowUnchanged()
    {
        var arn = await CreateAsync("rot/events", "old");
        await ConfigureAsync(arn, new RotationRules(30, null, null));
        await TickAsync(); // the test run of RotateImmediately=false: not an event
        var outbox = NewOutbox();
        var failing = new FailingOutbox(outbox);
        var runner = new RotationRunner(_fx.Store, _secrets, new OneFunction(), _function, _credentials, _observer, _options, Time, events: failing);
        var scheduler = new RotationScheduler(_fx.Store, () => _secrets, () => runner, _observer, _options, Time, events: outbox);
        var pending = await _secrets.Rotation.BeginScheduledRotationAsync(arn, CancellationToken.None);
        Assert.NotNull(pending);
        var request = new RotationStartRequest(Region, arn, pending, RotationTrigger.Schedule, 1);
        var testRuns = (await RunsAsync(arn)).Count;

        // The start's event cannot be stored: the run is not recorded either, and nothing was invoked.
        _function.Calls.Clear();
        failing.FailOn = Core.Events.EventCatalog.RotationStarted;
        await Assert.ThrowsAsync<InvalidOperationException>(() => runner.RunAsync(request, CancellationToken.None));
        Assert.Equal(testRuns, (await RunsAsync(arn)).Count);
        Assert.Empty(await RunEventsAsync());
        Assert.Empty(_function.Calls);

        // The end's event (a failed setSecret) cannot be stored: the row stays Running at setSecret (as after a crash
        // before that commit), with only the start's event; taking it up as interrupted stores the row's end and its
        // event together.
        failing.FailOn = Core.Events.EventCatalog.RotationFailed;
        _function.FailStep = "setSecret";
        _function.FailuresLeft = 1;
        await Assert.ThrowsAsync<InvalidOperationException>(() => runner.RunAsync(request, CancellationToken.None));
        var running = Assert.Single(await _fx.Store.FindRunningRotationRunsAsync(CancellationToken.None));
        Assert.Equal("setSecret", running.StepReached);
        Assert.Equal([(Core.Events.EventCatalog.RotationStarted, running.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), RotationOutcome.Running)], await RunEventsAsync());
        await scheduler.RecoverOwnAsync(CancellationToken.None);
        Assert.Equal(RotationOutcome.Interrupted, (await RunsAsync(arn))[0].Outcome);
        Assert.Equal(
            [(Core.Events.EventCatalog.RotationStarted, running.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), RotationOutcome.Running),
             (Core.Events.EventCatalog.RotationFailed, running.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), RotationOutcome.Interrupted)],
            await RunEventsAsync());

        // Nothing failing: the retry's start and end each come with their event.
        failing.FailOn = null;
        var retried = await runner.RunAsync(request with { Trigger = RotationTrigger.Retry, Attempt = 2 }, CancellationToken.None);
        Assert.NotNull(retried);
        Assert.Equal(RotationOutcome.Succeeded, retried.Outcome);
        var id = retried.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            [(Core.Events.EventCatalog.RotationStarted, id, RotationOutcome.Running), (Core.Events.EventCatalog.RotationSucceeded, id, RotationOutcome.Succeeded)],
            (await RunEventsAsync()).Skip(2));
        Assert.NotEqual("old", await _fx.ReadAsync(arn));
    }

    /// <summary>Stores the event through the real outbox, then fails (when asked to for that detail-type) inside the same transaction.</summary>
    private sealed class FailingOutbox(Core.Events.IEventOutbox inner) : Core.Events.IEventOutbox
    {
        public string? FailOn { get; set; }

        public async Task AddAsync(Core.Storage.IStoreTransaction tx, Core.Events.ServiceEvent serviceEvent, CancellationToken ct)
        {
            await inner.AddAsync(tx, serviceEvent, ct);
            if (serviceEvent.DetailType == FailOn)
            {
                throw new InvalidOperationException("injected after the outbox insert");
            }
        }
    }

    [Fact]
    public async Task RunOfAnotherNode_IsLeftWhileItLives_ThenTheLeaseHolderTakesItUpOnce()
    {
        var arn = await CreateAsync("rot/nodes", "old");
        await ConfigureAsync(arn, new RotationRules(30, null, null));
        await TickAsync();
        var pending = await _secrets.Rotation.BeginScheduledRotationAsync(arn, CancellationToken.None);
        Assert.NotNull(pending);
        await _fx.Store.InsertRotationRunAsync(new RotationRun { SecretArn = arn, Region = Region, VersionId = pending, Trigger = RotationTrigger.Schedule, StepReached = "setSecret", StartedDate = Time.GetUtcNow(), Node = "node-2" }, CancellationToken.None);

        var cluster = new TestCluster("node-1") { HoldsLease = false, Alive = { "node-2" } };
        var runner = new RotationRunner(_fx.Store, _secrets, new OneFunction(), _function, new FakeCredentials(), _observer, _options, Time, cluster);
        var scheduler = new RotationScheduler(_fx.Store, () => _secrets, () => runner, _observer, _options, Time, cluster);
        async Task Tick()
        {
            await scheduler.TickAsync(CancellationToken.None);
            await scheduler.WhenIdleAsync();
        }

        // While node-2 runs it, this node starts no second run of the secret, even when asked directly.
        Assert.Null(await runner.RunAsync(new RotationStartRequest(Region, arn, pending, RotationTrigger.RotateSecret, 1), CancellationToken.None));
        await Tick();
        cluster.HoldsLease = true;
        await Tick();
        Assert.Equal([RotationOutcome.Running], (await RunsAsync(arn)).Where(r => r.Node == "node-2").Select(r => r.Outcome));

        // node-2's heartbeat ran out, but this node does not hold the lease: it leaves the run to the holder.
        cluster.Alive.Clear();
        cluster.HoldsLease = false;
        await Tick();
        Assert.Equal(RotationOutcome.Running, (await RunsAsync(arn))[0].Outcome);

        cluster.HoldsLease = true;
        await Tick();
        await Tick();
        var runs = await RunsAsync(arn);
        var interrupted = Assert.Single(runs, r => r.Node == "node-2");
        Assert.Equal((RotationOutcome.Interrupted, "Node node-2 stopped during setSecret."), (interrupted.Outcome, interrupted.Error));
        var retried = Assert.Single(runs, r => r.Trigger == RotationTrigger.Retry);
        Assert.Equal(("node-1", RotationOutcome.Succeeded, 2, pending), (retried.Node, retried.Outcome, retried.Attempt, retried.VersionId));
        Assert.Equal(3, runs.Count); // the test run, node-2's, the retry: nothing ran twice
        Assert.NotEqual("old", await _fx.ReadAsync(arn));
    }

    private sealed class TestCluster(string nodeId) : Core.Cluster.IClusterView
    {
        public string NodeId { get; } = nodeId;

        public bool HoldsLease { get; set; }

        public HashSet<string> Alive { get; } = [];

        public Task<bool> IsNodeAliveAsync(string nodeId, CancellationToken ct) => Task.FromResult(nodeId == NodeId || Alive.Contains(nodeId));
    }

    [Fact]
    public async Task CancelRotateSecret_StopsARunBeforeItsNextStep()
    {
        var arn = await CreateAsync("rot/cancel", "old");
        _function.HangStep = "createSecret";
        await ConfigureAsync(arn, new RotationRules(30, null, null), immediately: true);
        _scheduler.DispatchQueued(CancellationToken.None);
        await _function.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await _secrets.Rotation.CancelRotateSecretAsync(Region, arn, CancellationToken.None);
        _function.Release.SetResult();
        await _scheduler.WhenIdleAsync();

        var run = Assert.Single(await RunsAsync(arn));
        Assert.Equal((RotationOutcome.Cancelled, "createSecret"), (run.Outcome, run.StepReached));
        Assert.Equal("old", await _fx.ReadAsync(arn));
    }

    [Fact]
    public async Task UnregisteredFunction_FailsRotateSecretItselfAndStartsNothing()
    {
        var arn = await CreateAsync("rot/nofunction", "old");
        var refused = await Assert.ThrowsAsync<Strongroom.Core.Errors.DomainException>(() => _secrets.Rotation.RotateSecretAsync(Region,
            new RotateSecretRequest(arn, null, "arn:aws:lambda:us-east-1:111122223333:function:missing", new RotationRules(30, null, null), true), CancellationToken.None));
        Assert.Equal((Strongroom.Core.Errors.ErrorKind.AccessDenied, RotationStartCheck.CannotInvokeMessage), (refused.Kind, refused.Message));
        await TickAsync();
        Assert.Empty(await RunsAsync(arn));
        Assert.Equal("old", await _fx.ReadAsync(arn));
    }

    /// <summary>Resolves only <see cref="Lambda"/>.</summary>
    private sealed class OneFunction : IRotationFunctions
    {
        public const int Timeout = 30;

        public Task<RotationFunction?> ResolveAsync(string region, string lambdaArnOrName, CancellationToken ct) =>
            Task.FromResult(lambdaArnOrName == Lambda
                ? new RotationFunction { Region = region, Name = "rotator", Arn = Lambda, Kind = RotationFunctionKind.Command, Command = "unused", TimeoutSeconds = Timeout }
                : null);

        public Task<byte[]?> GetHmacKeyAsync(RotationFunction function, CancellationToken ct) => Task.FromResult<byte[]?>(null);
    }

    private sealed class FakeCredentials : IRotationCredentialIssuer
    {
        public List<string> SessionPolicies { get; } = [];

        public Task<RotationCredentials> IssueAsync(string? roleArn, string sessionName, TimeSpan duration, string sessionPolicy, CancellationToken ct)
        {
            lock (SessionPolicies)
            {
                SessionPolicies.Add(sessionPolicy);
            }

            return Task.FromResult(new RotationCredentials("ASIAFAKE", "secret", "token", DateTimeOffset.MaxValue));
        }

        public Task RevokeAsync(RotationCredentials credentials, CancellationToken ct) => Task.CompletedTask;
    }

    private sealed class RecordingObserver : IRotationObserver
    {
        private readonly List<string> _events = [];

        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public Task RunStartedAsync(RotationRun run)
        {
            Add(run.IsTest ? "TestRotationStarted" : "RotationStarted");
            return Task.CompletedTask;
        }

        public Task RunFinishedAsync(RotationRun run)
        {
            Add((run.IsTest ? "TestRotation" : "Rotation") + (run.Outcome == RotationOutcome.Succeeded ? "Succeeded" : run.Outcome == RotationOutcome.Abandoned ? "Abandoned" : "Failed"));
            return Task.CompletedTask;
        }

        private void Add(string name)
        {
            lock (_events)
            {
                _events.Add(name);
            }
        }
    }

    /// <summary>A rotation function following AWS's template, in process, with injectable faults.</summary>
    private sealed class ContractFunction : IRotationInvoker
    {
        public SecretsService Secrets { get; set; } = null!;

        public List<(string Step, string Token)> Calls { get; } = [];

        public string? FailStep { get; set; }

        public int FailuresLeft { get; set; }

        public string? HangStep { get; set; }

        /// <summary>Prints the current value, the pending one (from createSecret on) and its secret key on every step.</summary>
        public bool Chatty { get; set; }

        private async Task RunChattyAsync(RotationStep step, RotationCredentials credentials, RotationStepOutput output, CancellationToken ct)
        {
            if (step.Step == "createSecret")
            {
                await Secrets.Writes.PutSecretValueAsync(Region, new PutSecretValueRequest(step.SecretArn, step.ClientRequestToken, null, "new-" + Guid.NewGuid().ToString("N")[..8], ["AWSPENDING"]), ct);
            }

            using var current = await Secrets.Reads.GetSecretValueAsync(Region, step.SecretArn, null, "AWSCURRENT", ct);
            using var pending = await Secrets.Reads.GetSecretValueAsync(Region, step.SecretArn, step.ClientRequestToken, null, ct);
            output.Write("stdout", $"current {current.Value.Text}, pending {pending.Value.Text}, key {credentials.SecretAccessKey}\n");
        }

        public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task InvokeAsync(RotationFunction function, RotationStep step, RotationCredentials credentials, RotationStepOutput output, CancellationToken ct)
        {
            lock (Calls)
            {
                Calls.Add((step.Step, step.ClientRequestToken));
            }

            if (Chatty)
            {
                await RunChattyAsync(step, credentials, output, ct);
            }

            if (step.Step == HangStep)
            {
                Hanging.TrySetResult();
                await Release.Task.WaitAsync(ct);
            }

            if (step.Step == FailStep && FailuresLeft > 0)
            {
                FailuresLeft--;
                throw new RotationFailedException(step.Step == "testSecret" ? "testSecret: could not log in." : "the database refused the connection.");
            }

            var view = await Secrets.Reads.DescribeSecretAsync(Region, step.SecretArn, ct);
            var stages = view.VersionStages.TryGetValue(step.ClientRequestToken, out var s) ? s : throw new RotationFailedException("version not found");
            if (stages.Contains("AWSCURRENT"))
            {
                return;
            }

            switch (step.Step)
            {
                case "createSecret":
                    try
                    {
                        using var existing = await Secrets.Reads.GetSecretValueAsync(Region, step.SecretArn, step.ClientRequestToken, "AWSPENDING", ct);
                    }
                    catch (Core.Errors.DomainException)
                    {
                        await Secrets.Writes.PutSecretValueAsync(Region, new PutSecretValueRequest(step.SecretArn, step.ClientRequestToken, null, "new-" + Guid.NewGuid().ToString("N")[..8], ["AWSPENDING"]), ct);
                    }

                    break;
                case "finishSecret":
                    var current = view.VersionStages.Single(kv => kv.Value.Contains("AWSCURRENT")).Key;
                    await Secrets.Staging.UpdateSecretVersionStageAsync(Region, step.SecretArn, "AWSCURRENT", current, step.ClientRequestToken, ct);
                    break;
                default:
                    break;
            }
        }
    }
}
