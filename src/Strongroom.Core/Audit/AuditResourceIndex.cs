using System.Globalization;

namespace Strongroom.Core.Audit;

/// <summary>
/// How both stores index audit records by resource name (CloudTrail LookupEvents by ResourceName) without a
/// random-key index on the append path. Resource names land anywhere in such an index, so each record of a commit
/// would dirty its own index page, written to the log at every commit. Instead the table
/// <c>audit_resources (bucket, resource_name, seq)</c> is filled behind the trail: once
/// <see cref="IndexEvery"/> records have been appended since the last pass, the append that crosses the mark
/// copies the new records' names in one statement, in the same transaction, and moves the setting
/// <see cref="Setting"/> to its last sequence number. Many records then share a page, and the bucket
/// (<c>seq &gt;&gt; <see cref="BucketBits"/></c>) keeps each pass inside the newest part of the index however many
/// resources there are. A lookup reads the records after the mark from the trail itself, then the index bucket by
/// bucket, newest first.
/// </summary>
public static class AuditResourceIndex
{
    /// <summary>Records per bucket: 2^16.</summary>
    public const int BucketBits = 16;

    /// <summary>Records appended between two indexing passes (at most this many are read from the trail's tail).</summary>
    public const long IndexEvery = 8192;

    /// <summary>The settings key holding the last sequence number whose resource name is in the index.</summary>
    public const string Setting = "audit_resources_to_seq";

    public static long Bucket(long seq) => seq >> BucketBits;

    public static long ParseSetting(string? value) => value is null ? 0 : long.Parse(value, CultureInfo.InvariantCulture);

    public static string FormatSetting(long seq) => seq.ToString(CultureInfo.InvariantCulture);
}
