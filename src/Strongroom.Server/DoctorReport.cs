namespace Strongroom.Server;

/// <summary>The doctor's findings, one line each ("ok", "WARN" or "FAIL", the check, what was found, what to do).</summary>
internal sealed class DoctorReport(TextWriter output)
{
    private int _problems;
    private int _warnings;

    public Task OkAsync(string check, string found) => output.WriteLineAsync($"  ok    {check,-16} {found}");

    public Task WarnAsync(string check, string found, string fix)
    {
        _warnings++;
        return output.WriteLineAsync($"  WARN  {check,-16} {found}\n        fix: {fix}");
    }

    public Task FailAsync(string check, string found, string fix)
    {
        _problems++;
        return output.WriteLineAsync($"  FAIL  {check,-16} {found}\n        fix: {fix}");
    }

    /// <summary>Prints the summary; 0 when nothing failed, else 1.</summary>
    public async Task<int> FinishAsync()
    {
        await output.WriteLineAsync($"{_problems} problem(s), {_warnings} warning(s).");
        return _problems == 0 ? 0 : 1;
    }
}
