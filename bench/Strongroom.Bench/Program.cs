using System.Diagnostics;
using Strongroom.Bench;
using Strongroom.Bench.Micro;

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine(BenchOptions.Usage);
    return args.Length == 0 ? 2 : 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"Strongroom.Bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

switch (options.Command)
{
    case "ceiling-server":
        return await CeilingServer.RunAsync(options.Port);
    case "strongroom-host":
        return await AuditCostSuite.HostAsync(options.DataDir ?? throw new ArgumentException("strongroom-host needs --data-dir"), options.Port, options.Audit, options.Postgres);
    case "audit-append":
        return await AuditAppendLoad.RunAsync(options);
    case "selftest":
        var failure = SigV4Signer.SelfTest();
        Console.WriteLine(failure ?? "signer matches shared/api/sigv4.md §6.2");
        return failure is null ? 0 : 1;
    case "load" or "scale" or "micro" or "audit" or "nodes" or "all":
        break;
    default:
        Console.Error.WriteLine($"Strongroom.Bench: unknown subcommand {options.Command}");
        Console.Error.WriteLine(BenchOptions.Usage);
        return 2;
}

if (SigV4Signer.SelfTest() is { } problem)
{
    Console.Error.WriteLine(problem);
    return 1;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var report = new Report(options);
var workDir = Directory.CreateTempSubdirectory("strongroom-bench-").FullName;
Console.Error.WriteLine($"Strongroom.Bench {options.Command}: work directory {workDir}; report {report.MarkdownPath}");
var total = Stopwatch.StartNew();
try
{
    if (options.Command is "load" or "all")
    {
        await LoadSuite.RunAsync(options, report, workDir, cancel.Token);
        report.Save();
    }

    if (options.Command is "scale" or "all")
    {
        await ScaleSuite.RunAsync(options, report, workDir, cancel.Token);
        report.Save();
    }

    if (options.Command is "audit" or "all")
    {
        await AuditCostSuite.RunAsync(options, report, workDir, cancel.Token);
        report.Save();
    }

    if (options.Command is "nodes" or "all")
    {
        await NodesSuite.RunAsync(options, report, workDir, cancel.Token);
        report.Save();
    }

    if (options.Command is "micro" or "all")
    {
        MicroSuite.Run(options, report);
        report.Save();
    }
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    report.Notes.Add($"The run stopped early: {e.GetType().Name}: {e.Message}");
    report.Save();
    Console.Error.WriteLine(e);
    Console.Error.WriteLine($"Server logs are in {workDir}");
    return 1;
}

report.Notes.Add($"Whole run: {total.Elapsed.TotalMinutes:0.0} min.");
report.Save();
if (!options.Keep)
{
    Directory.Delete(workDir, recursive: true);
}

Console.Error.WriteLine($"wrote {report.MarkdownPath} and {report.CsvPath}");
Console.WriteLine(report.Markdown());
return 0;
