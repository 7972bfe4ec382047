using Strongroom.Core.Errors;
using Strongroom.Core.Rotation;
using Strongroom.Core.Secrets;
using Xunit;

namespace Strongroom.Tests;

public sealed class PureLogicTests
{
    private static RandomPasswordRequest Password(long? length = null, string? exclude = null, bool noNumbers = false, bool noPunct = false, bool noUpper = false, bool noLower = false, bool space = false, bool? each = null) =>
        new(length, exclude, noNumbers, noPunct, noUpper, noLower, space, each);

    [Fact]
    public void GetRandomPassword_Defaults_32CharsWithEveryClass()
    {
        for (var i = 0; i < 200; i++)
        {
            var p = PasswordGenerator.Generate(Password());
            Assert.Equal(32, p.Length);
            Assert.Contains(p, char.IsAsciiLetterUpper);
            Assert.Contains(p, char.IsAsciiLetterLower);
            Assert.Contains(p, char.IsAsciiDigit);
            Assert.Contains(p, c => PasswordGenerator.Punctuation.Contains(c, StringComparison.Ordinal));
            Assert.DoesNotContain(' ', p);
        }
    }

    [Fact]
    public void GetRandomPassword_ExcludedCharacters_NeverAppear()
    {
        for (var i = 0; i < 200; i++)
        {
            Assert.DoesNotContain(PasswordGenerator.Generate(Password(64, "aeiouAEIOU0\"'\\")), c => "aeiouAEIOU0\"'\\".Contains(c, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void GetRandomPassword_TooShortForRequiredTypes_InvalidParameter()
    {
        var error = Assert.Throws<DomainException>(() => PasswordGenerator.Generate(Password(3)));
        Assert.Equal("Password length is too short based on the required types.", error.Message);
        Assert.Equal(4, PasswordGenerator.Generate(Password(4)).Length);
    }

    [Fact]
    public void GetRandomPassword_EverythingExcluded_InvalidParameter()
    {
        Assert.Equal(ErrorKind.InvalidParameter, Assert.Throws<DomainException>(() => PasswordGenerator.Generate(Password(noNumbers: true, noPunct: true, noUpper: true, noLower: true))).Kind);
        Assert.Equal(ErrorKind.Validation, Assert.Throws<DomainException>(() => PasswordGenerator.Generate(Password(4097))).Kind);
    }

    [Fact]
    public void GetRandomPassword_DigitsOnly_IsUniform()
    {
        // 20,000 digits: each digit's count should be within 5 standard deviations of 2,000.
        var counts = new int[10];
        for (var i = 0; i < 20; i++)
        {
            foreach (var c in PasswordGenerator.Generate(Password(1000, noPunct: true, noUpper: true, noLower: true)))
            {
                counts[c - '0']++;
            }
        }

        Assert.All(counts, n => Assert.InRange(n, 2000 - 5 * 42, 2000 + 5 * 42));
    }

    [Theory]
    [InlineData("credsDatabase#892", "creds,Database,892")]
    [InlineData("prod/db-main", "prod,db,main")]
    [InlineData("ABC123def", "ABC12,3def")]
    [InlineData("SecretFTag", "Secret,F,Tag")]
    [InlineData("COMPANYthings", "COMPAN,Ythings")]
    [InlineData("uat/COMPANY/x", "uat,COMPANY,x")]
    [InlineData("myTest Phrase", "my,Test,Phrase")]
    [InlineData("Mytest", "Mytest")]
    [InlineData("+", "")]
    public void Words_SplitsLikeAws(string text, string expected) =>
        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), SecretFilters.Words(text).ToArray());

    [Fact]
    public void Filters_NegationAndCombination()
    {
        var s = new SecretRecord { Region = "us-east-1", Name = "prod/db", Arn = "arn", Description = "Main database", Tags = [new SecretTag("team", "core")] };
        Assert.True(SecretFilters.Matches(s, [new ListFilter("name", ["dev/", "prod/"])]));
        Assert.False(SecretFilters.Matches(s, [new ListFilter("name", ["!prod/"])]));
        Assert.True(SecretFilters.Matches(s, [new ListFilter("description", ["data"]), new ListFilter("tag-key", ["te"])]));
        Assert.False(SecretFilters.Matches(s, [new ListFilter("description", ["data"]), new ListFilter("tag-value", ["x"])]));
        Assert.False(SecretFilters.Matches(s, [new ListFilter("all", ["core main"])]), "all: every word must match within one attribute");
        Assert.True(SecretFilters.Matches(s, [new ListFilter("all", ["data ma"])]));
        Assert.False(SecretFilters.Matches(s, [new ListFilter("all", ["+"])]), "a value of punctuation only matches nothing");
        Assert.False(SecretFilters.Matches(s, [new ListFilter("description", ["ase"])]), "words match by prefix only");
    }

    [Fact]
    public void Filters_DescriptionWordsMatchInAnyOrder()
    {
        var s = new SecretRecord { Region = "us-east-1", Name = "x", Arn = "arn", Description = "one and two" };
        Assert.True(SecretFilters.Matches(s, [new ListFilter("description", ["two one"])]));
        Assert.True(SecretFilters.Matches(s, [new ListFilter("description", ["O T"])]));
        Assert.False(SecretFilters.Matches(s, [new ListFilter("description", ["one three"])]));
    }

    [Fact]
    public void ValidateFilters_NamesMembersByPosition()
    {
        var e = Assert.Throws<Strongroom.Core.Errors.DomainException>(() => SecretFilters.ValidateFilters([new ListFilter("name", ["a"]), new ListFilter("colour", ["red"])]));
        Assert.Equal("1 validation error detected: Value 'colour' at 'filters.2.member.key' failed to satisfy constraint: Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]", e.Message);
        e = Assert.Throws<Strongroom.Core.Errors.DomainException>(() => SecretFilters.ValidateFilters([new ListFilter("name", ["a", "b#"])]));
        Assert.StartsWith("1 validation error detected: Value 'b#' at 'filters.1.member.values.2.member'", e.Message, StringComparison.Ordinal);
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 10, 30, 0, TimeSpan.Zero);

    [Fact]
    public void NextRotationDate_AutomaticallyAfterDays_EndOfThatDay()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 9, 0, 0, 0, TimeSpan.Zero), RotationSchedule.NextRotationDate(new RotationRules(7, null, null), T0));
        Assert.Equal(new DateTimeOffset(2026, 11, 8, 3, 0, 0, TimeSpan.Zero), RotationSchedule.NextRotationDate(new RotationRules(7, "3h", null), T0));
    }

    [Fact]
    public void NextRotationDate_RateHours_NextMultipleFromMidnightPlusOneHour()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 13, 0, 0, TimeSpan.Zero), RotationSchedule.NextRotationDate(new RotationRules(null, null, "rate(4 hours)"), T0));
    }

    [Fact]
    public void NextRotationDate_CronLastDayAndNthWeekday()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), RotationSchedule.NextRotationDate(new RotationRules(null, null, "cron(0 17 L * ? *)"), T0));
        // First Sunday of the next quarter-month set: cron(0 1 ? 1/3 SUN#1 *) → 2027-01-03 01:00, day-based window to end of day.
        Assert.Equal(new DateTimeOffset(2027, 1, 4, 0, 0, 0, TimeSpan.Zero), RotationSchedule.NextRotationDate(new RotationRules(null, null, "cron(0 1 ? 1/3 SUN#1 *)"), T0));
        // EventBridge numbers Sunday 1: cron(0 8 ? * 2 *) is Monday 08:00.
        Assert.Equal(new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero), RotationSchedule.NextRotationDate(new RotationRules(null, null, "cron(0 8 ? * 2 *)"), T0));
    }

    [Theory]
    [InlineData(0L, null, null)]
    [InlineData(1001L, null, null)]
    [InlineData(7L, null, "rate(10 days)")]
    [InlineData(null, null, "rate(1 hour)")]
    [InlineData(null, null, "rate(3 hours)")]
    [InlineData(null, null, "cron(5 1 * * ? *)")]
    [InlineData(null, null, "cron(0 1 * * * *)")]
    [InlineData(null, "25h", "rate(2 days)")]
    [InlineData(null, "6h", "rate(4 hours)")]
    public void ValidateRules_Bad_Rejected(long? days, string? duration, string? expression) =>
        Assert.ThrowsAny<DomainException>(() => RotationSchedule.ValidateRules(new RotationRules(days, duration, expression)));
}
