using SharpFuzz;
using Strongroom.Fuzz;

// Strongroom.Fuzz TARGET                     run under AFL++ (afl-fuzz … -- dotnet Strongroom.Fuzz.dll TARGET), see fuzz/run.sh
// Strongroom.Fuzz TARGET --replay PATH…      run every file under PATH through TARGET in-process; exit 1 on a finding
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    await Console.Error.WriteLineAsync($"usage: Strongroom.Fuzz {string.Join("|", FuzzTargets.Names)} [--replay PATH...]");
    return 2;
}

var target = args[0];
if (args.Length > 1 && args[1] == "--replay")
{
    var count = 0;
    foreach (var path in args.Skip(2))
    {
        foreach (var file in Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray() : [path])
        {
            try
            {
                FuzzTargets.Run(target, await File.ReadAllBytesAsync(file));
                count++;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                await Console.Error.WriteLineAsync($"{target}: {file}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                return 1;
            }
        }
    }

    Console.WriteLine($"{target}: replayed {count} inputs, no finding");
    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    FuzzTargets.Run(target, buffer.ToArray());
});
return 0;
