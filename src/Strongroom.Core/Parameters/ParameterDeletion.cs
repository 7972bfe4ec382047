using Strongroom.Core.Errors;
using Strongroom.Core.Storage;
using static Strongroom.Core.Parameters.ParameterErrors;
using static Strongroom.Core.Parameters.ParameterNames;

namespace Strongroom.Core.Parameters;

/// <summary>DeleteParameter and DeleteParameters.</summary>
public sealed class ParameterDeletion
{
    private readonly IUnitOfWork _store;

    internal ParameterDeletion(ParameterStoreContext context)
    {
        _store = context.Store;
    }

    public async Task DeleteParameterAsync(string region, string name, CancellationToken ct)
    {
        var valid = ValidateName(name, forWrite: false);
        await _store.WriteAsync(async tx =>
        {
            var key = KeyOf(valid);
            if (await tx.FindParameterAsync(region, key, ct) is null)
            {
                throw NotFound(name);
            }

            await tx.DeleteParameterAsync(region, key, ct);
            return true;
        }, ct);
    }

    public async Task<(IReadOnlyList<string> Deleted, IReadOnlyList<string> Invalid)> DeleteParametersAsync(string region, IReadOnlyList<string> names, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count is < 1 or > 10)
        {
            throw DomainException.Constraint("names", "[...]", names.Count < 1 ? "Member must have length greater than or equal to 1" : "Member must have length less than or equal to 10");
        }

        var deleted = new List<string>();
        var invalid = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await DeleteParameterAsync(region, name, ct);
                deleted.Add(name);
            }
            catch (DomainException e) when (e.Code == "ParameterNotFound" || e.Kind == ErrorKind.Validation)
            {
                invalid.Add(name);
            }
        }

        return (deleted, invalid);
    }
}
