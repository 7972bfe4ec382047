namespace Strongroom.Client;

/// <summary>Create/Update's answer. HmacKey (base64) is present only when an HTTP function got a new key: it is never shown again.</summary>
public sealed record RotationFunctionWriteResult(RotationFunctionInfo Function, string? HmacKey)
{
    public override string ToString() => $"RotationFunctionWriteResult {{ Function = {Function}, HmacKey = {(HmacKey is null ? "none" : "present")} }}";
}
