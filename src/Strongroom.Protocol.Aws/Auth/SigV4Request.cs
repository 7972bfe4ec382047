namespace Strongroom.Protocol.Aws.Auth;

/// <summary>What the verifier needs of an HTTP request. Header lookup is case-insensitive and returns every value.</summary>
public sealed record SigV4Request(
    string Method,
    string Path,
    string QueryString,
    Func<string, IReadOnlyList<string>> Header,
    ReadOnlyMemory<byte> Body);
