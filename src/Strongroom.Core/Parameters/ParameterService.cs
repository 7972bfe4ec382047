using Strongroom.Core.Identity;
using Strongroom.Core.Kms;
using Strongroom.Core.Secrets;
using Strongroom.Core.Storage;

namespace Strongroom.Core.Parameters;

/// <summary>
/// Parameter Store: hierarchical String/StringList/SecureString parameters with versions, labels, tags and
/// expiration policies, plus the read-only /aws/reference/secretsmanager/ bridge. SecureString values are
/// KMS-encrypted under the parameter's key with the context {"PARAMETER_ARN": arn}. The use cases are their own
/// classes (writes, reads, queries, deletion, tags, policies), built over one shared
/// <see cref="ParameterStoreContext"/>. Thread-safe.
/// </summary>
public sealed class ParameterService
{
    private readonly ParameterStoreContext _context;

    public ParameterService(IStore store, KeyRing keys, SecretsService secrets, ServerIdentity identity, TimeProvider time, Events.IEventOutbox? events = null)
    {
        _context = new ParameterStoreContext(store, keys, identity, time, events);
        Writes = new ParameterWrites(_context);
        Reads = new ParameterReads(_context, new SecretsManagerReferences(secrets));
        Queries = new ParameterQueries(_context);
        Deletion = new ParameterDeletion(_context);
        Tags = new ParameterTags(_context);
        Policies = new ParameterPolicies(_context);
    }

    /// <summary>PutParameter, LabelParameterVersion, UnlabelParameterVersion.</summary>
    public ParameterWrites Writes { get; }

    /// <summary>GetParameter, GetParameters, GetParametersByPath, GetParameterHistory (and the Secrets Manager bridge).</summary>
    public ParameterReads Reads { get; }

    /// <summary>DescribeParameters.</summary>
    public ParameterQueries Queries { get; }

    /// <summary>DeleteParameter, DeleteParameters.</summary>
    public ParameterDeletion Deletion { get; }

    public ParameterTags Tags { get; }

    /// <summary>Expiration and the notification policies.</summary>
    public ParameterPolicies Policies { get; }

    public string Arn(string region, string name) => _context.Arn(region, name);
}
