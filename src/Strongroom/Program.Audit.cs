using System.CommandLine;
using Strongroom.Configuration;
using Strongroom.Server;

namespace Strongroom;

/// <summary>`strongroom audit` (verify, public-key, export) and `strongroom backup` (create, restore).</summary>
public static partial class Program
{
    private static Command AuditCommand(StrongroomSettings settings)
    {
        static Option<string> DataDir() => new("--data-dir") { Description = "Data directory.", DefaultValueFactory = _ => "strongroom-data" };
        var verifyDir = DataDir();
        var publicKey = new Option<string?>("--public-key") { Description = "PEM file with the published audit public key (default: the one stored in the data directory)." };
        var verifyArchive = new Option<string?>("--archive-dir") { Description = "Archived audit records to verify with the store (default DATA_DIR/audit-archive)." };
        var verify = new Command("verify", "Check the hash chain and every signed digest; exit 0 only when the whole trail verifies.") { verifyDir, publicKey, verifyArchive };
        var verifyStorage = new StorageFlags(settings);
        verifyStorage.AddTo(verify);
        verify.SetAction((result, ct) => Guarded(() => AuditTool.VerifyAsync(result.GetValue(verifyDir)!, result.GetValue(publicKey), Console.Out, ct, result.GetValue(verifyArchive), verifyStorage.Read(result))));
        var keyDir = DataDir();
        var key = new Command("public-key", "Print the digest-signing public key (PEM).") { keyDir };
        var keyStorage = new StorageFlags(settings);
        keyStorage.AddTo(key);
        key.SetAction((result, ct) => Guarded(() => AuditTool.PublicKeyAsync(result.GetValue(keyDir)!, Console.Out, Console.Error, ct, keyStorage.Read(result))));
        var exportDir = DataDir();
        var since = new Option<string?>("--since") { Description = "Only records at or after this ISO-8601 time. Default: none." };
        var export = new Command("export", "Write the trail to standard output as JSON lines.") { exportDir, since };
        var exportStorage = new StorageFlags(settings);
        exportStorage.AddTo(export);
        export.SetAction((result, ct) => Guarded(() => AuditTool.ExportAsync(result.GetValue(exportDir)!, result.GetValue(since), Console.Out, Console.Error, ct, exportStorage.Read(result))));
        return new Command("audit", "Read and verify the audit trail.") { verify, key, export };
    }

    private static Command BackupCommand()
    {
        var createDir = new Option<string>("--data-dir") { Description = "Data directory (the server may be running).", DefaultValueFactory = _ => "strongroom-data" };
        var outFile = new Option<string>("--out") { Description = "Backup file to write (must not exist).", Required = true };
        var create = new Command("create", "Write a consistent backup of a data directory while the server runs; the root key is never in it.") { createDir, outFile };
        create.SetAction((result, ct) => Guarded(() => BackupTool.CreateAsync(result.GetValue(createDir)!, result.GetValue(outFile)!, Console.Out, ct)));
        var restoreDir = new Option<string>("--data-dir") { Description = "Empty or new directory to restore into.", Required = true };
        var inFile = new Option<string>("--in") { Description = "Backup file.", Required = true };
        var restore = new Command("restore", "Restore a backup into an empty directory; the root key must then be copied in.") { restoreDir, inFile };
        restore.SetAction((result, ct) => Guarded(() => BackupTool.RestoreAsync(result.GetValue(restoreDir)!, result.GetValue(inFile)!, Console.Out, ct)));
        return new Command("backup", "Online backup and restore.") { create, restore };
    }
}
