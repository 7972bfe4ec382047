using Strongroom.Core.Errors;

namespace Strongroom.Core.Parameters;

/// <summary>The errors Parameter Store answers, as AWS names them.</summary>
internal static class ParameterErrors
{
    internal static DomainException Error(string code, string message) => DomainException.WithCode(code, message);

    internal static DomainException Validation(string message) => new(ErrorKind.Validation, message);

    internal static DomainException NotFound(string name) => Error("ParameterNotFound", $"Parameter {name} not found.");
}
