namespace Strongroom.Core.Storage;

/// <summary>A value stored wrapped by the root key: where it lives, the binding it is wrapped under, the bytes.</summary>
public sealed record RootWrappedValue(string Kind, string Id, long Version, string Binding, byte[] Wrapped);
