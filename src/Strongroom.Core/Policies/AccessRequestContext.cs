namespace Strongroom.Core.Policies;

/// <summary>What the transport says about one request, for the global condition keys aws:SourceIp and aws:SecureTransport.</summary>
/// <param name="SourceIp">The caller's address; null leaves aws:SourceIp out.</param>
/// <param name="Secure">Whether the request came over TLS; null (only `strongroom admin explain`, which explains no real request) leaves aws:SecureTransport out.</param>
public sealed record AccessRequestContext(string? SourceIp, bool? Secure);
