using Strongroom.Core.Errors;
using Strongroom.Core.Policies;

namespace Strongroom.Core.Secrets;

/// <summary>
/// Strongroom.WatchSecrets: tells a caching client when the AWSCURRENT of a secret it holds moves. Given secret ids and
/// the version ids the caller knows, it answers as soon as any of them is not (or no longer) AWSCURRENT, else after
/// the wait with nothing changed. Each secret is authorised as secretsmanager:DescribeSecret (what the answer reveals
/// is what DescribeSecret's VersionIdsToStages shows); a secret the caller may not describe is reported as
/// AccessDeniedException, with the same text whether it exists or not, and never watched. It watches by reading
/// the store every <see cref="PollInterval"/>, which works the same on one node and on several (ADR 0022). Thread-safe.
/// </summary>
public sealed class SecretWatch
{
    public const int MaxSecrets = 100;
    public const int MaxWaitSeconds = 20;
    public const string DescribeAction = "secretsmanager:DescribeSecret";

    /// <summary>How often the store is read while a call waits: the bound on how late a change is seen.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly SecretsService _secrets;
    private readonly TimeProvider _time;

    public SecretWatch(SecretsService secrets, TimeProvider time)
    {
        _secrets = secrets;
        _time = time;
    }

    /// <summary>One secret the caller holds: its id as the caller names it, and the version id it knows (null: none).</summary>
    public sealed record Known(string SecretId, string? VersionId);

    public sealed record Change(string SecretId, string Arn, string VersionId);

    public sealed record Result(IReadOnlyList<Change> Changed, IReadOnlyList<BatchError> Errors);

    public async Task<Result> WatchAsync(string region, IReadOnlyList<Known> known, int? waitSeconds, ICallerAccess access, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(access);
        if (known.Count is < 1 or > MaxSecrets)
        {
            throw DomainException.Constraint("secrets", "[...]", known.Count < 1 ? "Member must have length greater than or equal to 1" : $"Member must have length less than or equal to {MaxSecrets}");
        }

        Validate.Range(waitSeconds, "waitTimeSeconds", 0, MaxWaitSeconds);
        foreach (var k in known)
        {
            Validate.SecretId(k.SecretId);
            Validate.Length(k.VersionId, "versionId", 32, 64);
        }

        var errors = new List<BatchError>();
        var watched = new List<Known>();
        foreach (var k in known.DistinctBy(k => k.SecretId, StringComparer.Ordinal))
        {
            if (await access.SecretActionDeniedAsync(region, DescribeAction, k.SecretId, ct) is { } denied)
            {
                errors.Add(new BatchError(k.SecretId, ErrorCodes.For(ErrorKind.AccessDenied), denied));
                continue;
            }

            watched.Add(k);
        }

        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(waitSeconds ?? MaxWaitSeconds);
        while (true)
        {
            var changed = new List<Change>();
            foreach (var k in watched.ToList())
            {
                try
                {
                    var view = await _secrets.Reads.DescribeSecretAsync(region, k.SecretId, ct);
                    var current = view.VersionStages.FirstOrDefault(p => p.Value.Contains(StagingLabels.Current)).Key;
                    if (current is not null && current != k.VersionId)
                    {
                        changed.Add(new Change(k.SecretId, view.Secret.Arn, current));
                    }
                }
                catch (DomainException e)
                {
                    errors.Add(new BatchError(k.SecretId, ErrorCodes.For(e.Kind), e.Message));
                    watched.Remove(k);
                }
            }

            if (changed.Count > 0 || watched.Count == 0 || _time.GetUtcNow() >= deadline)
            {
                return new Result(changed, errors);
            }

            var left = deadline - _time.GetUtcNow();
            try
            {
                await Task.Delay(left < PollInterval ? left : PollInterval, _time, ct);
            }
            catch (OperationCanceledException)
            {
                // The caller went away while waiting (a cache restarting its watch): answer "nothing changed", so the
                // call is recorded like any other rather than ending as an aborted request.
                return new Result([], errors);
            }
        }
    }
}
