using System.Text.Json;
using Strongroom.Core.Policies;
using Strongroom.Core.Secrets;
using Strongroom.Protocol.Aws.Json;

namespace Strongroom.Protocol.Aws;

/// <summary>
/// One authorised awsJson call as a service sees it: the region of its credential scope, who made it, what it may
/// reach while it runs (<see cref="ICallerAccess"/>: each secret of a batch, the key policy lockout check), the
/// input the edge decoded once, the writer of its output, and — for a Secrets Manager call naming one secret — the
/// <see cref="SecretResolution"/> the access decision made, which the operation reuses rather than looking the secret up again.
/// </summary>
public sealed record JsonCall(string Region, string PrincipalArn, bool IsAdmin, ICallerAccess Access, JsonInput Input, Utf8JsonWriter Output, CancellationToken Ct, SecretResolution? Secret = null);
