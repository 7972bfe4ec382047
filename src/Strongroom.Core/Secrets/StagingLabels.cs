namespace Strongroom.Core.Secrets;

/// <summary>The staging labels AWS gives meaning to, and the rules that move labels between versions.</summary>
public static class StagingLabels
{
    public const string Current = "AWSCURRENT";
    public const string Previous = "AWSPREVIOUS";
    public const string Pending = "AWSPENDING";

    /// <summary>Gives <paramref name="target"/> exactly the labels in <paramref name="labels"/> that it lacks, taking them from other versions, with the AWSPREVIOUS rule.</summary>
    internal static void ApplyStages(List<SecretVersionRecord> versions, SecretVersionRecord target, IEnumerable<string> labels)
    {
        foreach (var label in labels)
        {
            if (target.Stages.Contains(label))
            {
                continue;
            }

            var holder = versions.Find(v => v != target && v.Stages.Contains(label));
            holder?.Stages.Remove(label);
            target.Stages.Add(label);
            if (label == Current && holder is not null)
            {
                foreach (var v in versions)
                {
                    v.Stages.Remove(Previous);
                }

                holder.Stages.Add(Previous);
            }
        }
    }

    internal static IEnumerable<KeyValuePair<string, string>> StageMap(IEnumerable<SecretVersionRecord> versions) =>
        versions.SelectMany(v => v.Stages.Select(s => new KeyValuePair<string, string>(s, v.VersionId))).ToList();

    internal static Dictionary<string, List<string>> LabelMap(IEnumerable<SecretVersionRecord> versions) =>
        versions.Where(v => v.Stages.Count > 0).ToDictionary(v => v.VersionId, v => v.Stages.ToList(), StringComparer.Ordinal);

}
