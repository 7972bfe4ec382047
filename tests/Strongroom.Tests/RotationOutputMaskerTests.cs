using Strongroom.Core.Rotation;
using Xunit;

namespace Strongroom.Tests;

/// <summary>The masking applied to a rotation function's output before it is stored.</summary>
public sealed class RotationOutputMaskerTests
{
    private const string Secret = """{"engine":"postgres","host":"db.example","port":5432,"username":"app","password":"p\"ss/w0rd-Q","apikey":"k-9f8e7d6c"}""";

    [Fact]
    public void Apply_JsonMembersAndTheirEscapedForms_AreMaskedButNamingFieldsStay()
    {
        var needles = RotationOutputMasker.Needles([Secret], ["SESSIONSECRETKEY"]);
        var part = new RotationOutputPart("stdout", """
            user app on db.example:5432
            raw p"ss/w0rd-Q, escaped p\"ss/w0rd-Q, unicode-escaped p\u0022ss/w0rd-Q
            key k-9f8e7d6c, whole {"engine":"postgres","host":"db.example","port":5432,"username":"app","password":"p\"ss/w0rd-Q","apikey":"k-9f8e7d6c"}
            env SESSIONSECRETKEY
            """, false);

        var masked = RotationOutputMasker.Apply(part, needles);

        Assert.Equal("""
            user app on db.example:5432
            raw ********, escaped ********, unicode-escaped ********
            key ********, whole ********
            env ********
            """, masked);
    }

    [Fact]
    public void Apply_ATruncatedPart_LosesItsPartialFirstLine()
    {
        var needles = RotationOutputMasker.Needles(["abcdefghij"], []);

        var masked = RotationOutputMasker.Apply(new RotationOutputPart("stderr", "ghij was cut\nthen abcdefghij\n", true), needles);

        Assert.Equal("[earlier output dropped]\nthen ********\n", masked);
    }

    [Fact]
    public void Needles_ShortValues_AreNotLookedForAlone()
    {
        var needles = RotationOutputMasker.Needles(["""{"password":"abc","token":"abcd"}"""], []);

        Assert.DoesNotContain("abc", needles);
        Assert.Contains("abcd", needles);
        Assert.Contains("""{"password":"abc","token":"abcd"}""", needles);
    }

    [Fact]
    public void StepOutput_KeepsTheTailOfEachPart_AndSaysItWasCut()
    {
        var output = new RotationStepOutput();
        output.Write("stdout", new string('a', RotationStepOutput.PartLimit));
        output.Write("stdout", "tail\n");
        output.Write("stderr", "short\n");

        var parts = output.Parts;

        Assert.Equal(["stdout", "stderr"], parts.Select(p => p.Label));
        Assert.True(parts[0].Truncated);
        Assert.EndsWith("tail\n", parts[0].Text, StringComparison.Ordinal);
        Assert.Equal(RotationStepOutput.PartLimit, parts[0].Text.Length);
        Assert.False(parts[1].Truncated);
    }
}
