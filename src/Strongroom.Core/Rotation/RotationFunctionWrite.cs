namespace Strongroom.Core.Rotation;

/// <summary>The function as written, and the HMAC key when the write made a new one (an HTTP function); the caller shows it once and zeroes it.</summary>
public sealed record RotationFunctionWrite(RotationFunction Function, byte[]? HmacKey)
{
    public override string ToString() => $"RotationFunctionWrite {{ Function = {Function.Arn}, HmacKey = {(HmacKey is null ? "none" : "new")} }}";
}
