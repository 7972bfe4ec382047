namespace Strongroom.Client;

/// <summary>The AWS CLI's INI dialect: [section] headers, key = value lines, # and ; comments. Later duplicates win.</summary>
internal static class IniFile
{
    /// <summary>Sections by name (case-sensitive, as the AWS CLI treats profile names); empty when the file is missing.</summary>
    public static Dictionary<string, Dictionary<string, string>> Read(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return sections;
        }

        Dictionary<string, string>? current = null;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                var name = line[1..^1].Trim();
                if (!sections.TryGetValue(name, out current))
                {
                    sections[name] = current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                }

                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (current is null || equals <= 0 || char.IsWhiteSpace(raw[0]))
            {
                // Nested (indented) values such as s3 sub-settings are not needed here.
                continue;
            }

            current[line[..equals].Trim()] = line[(equals + 1)..].Trim();
        }

        return sections;
    }
}
