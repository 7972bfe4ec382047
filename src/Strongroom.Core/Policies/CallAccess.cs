using Strongroom.Core.Secrets;

namespace Strongroom.Core.Policies;

/// <summary>
/// The access decision of one call: <see cref="Denial"/> when it is refused, and — for a Secrets Manager call that
/// names one secret — the <see cref="SecretResolution"/> its checks resolved, which the operation reuses.
/// </summary>
public sealed record CallAccess(AccessDenial? Denial, SecretResolution? Secret);
