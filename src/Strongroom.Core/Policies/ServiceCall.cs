using Strongroom.Core.Identity;
using Strongroom.Core.Secrets;

namespace Strongroom.Core.Policies;

/// <summary>One call as an <see cref="IServiceAccess"/> builds its checks from it.</summary>
/// <param name="Caller">Who signed the call.</param>
/// <param name="Operation">The operation (action name without the service prefix).</param>
/// <param name="Input">A JSON-protocol call's input (<see cref="IAccessInput.Empty"/> for the Query protocols).</param>
/// <param name="Query">A Query-protocol (IAM, STS) call's parameters (no parameters for the JSON protocols).</param>
/// <param name="Secret">The call's secret resolution from <see cref="IServiceAccess.ResolutionFor"/>, or null.</param>
public sealed record ServiceCall(AccessCaller Caller, string Operation, IAccessInput Input, IamAccess.Parameters Query, SecretResolution? Secret);
