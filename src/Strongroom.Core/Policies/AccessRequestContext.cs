namespace Strongroom.Core.Policies;

/// <summary>What the transport says about one request, for the global condition keys aws:SourceIp and aws:SecureTransport.</summary>
public sealed record AccessRequestContext(string? SourceIp, bool Secure);
