namespace Strongroom.WebConsole;

/// <summary>One built console file: its path under /console/, media type, bytes and a strong ETag (quoted).</summary>
public sealed record ConsoleAsset(string Path, string ContentType, byte[] Content, string ETag);
