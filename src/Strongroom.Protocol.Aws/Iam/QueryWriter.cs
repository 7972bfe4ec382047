using System.Text;
using System.Xml;

namespace Strongroom.Protocol.Aws.Iam;

/// <summary>Writes AWS Query-protocol XML answers: &lt;ActionResponse&gt;&lt;ActionResult&gt;…&lt;/ActionResult&gt;&lt;ResponseMetadata&gt;….</summary>
public sealed class QueryWriter : IDisposable
{
    private readonly StringBuilder _text = new(512);
    private readonly XmlWriter _xml;
    private readonly string _action;

    public QueryWriter(string action, string xmlNamespace, string requestId)
    {
        _action = action;
        RequestId = requestId;
        _xml = XmlWriter.Create(_text, new XmlWriterSettings { OmitXmlDeclaration = false, Encoding = Encoding.UTF8 });
        _xml.WriteStartElement(action + "Response", xmlNamespace);
        _xml.WriteStartElement(action + "Result");
    }

    public string RequestId { get; }

    public QueryWriter Element(string name, string? value)
    {
        if (value is not null)
        {
            _xml.WriteElementString(name, XmlText(value));
        }

        return this;
    }

    /// <summary>
    /// <paramref name="value"/> with every character XML 1.0 cannot hold (NUL and other C0 controls but tab, CR and LF,
    /// U+FFFE, U+FFFF, an unpaired surrogate) replaced by U+FFFD, so a caller's value echoed in an answer or an error
    /// message can never make the document unwritable. Returns the same instance when nothing needs replacing.
    /// </summary>
    public static string XmlText(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bad = FirstInvalid(value);
        if (bad < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        builder.Append(value, 0, bad);
        for (var i = bad; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else
            {
                builder.Append(XmlConvert.IsXmlChar(c) ? c : '\uFFFD');
            }
        }

        return builder.ToString();
    }

    private static int FirstInvalid(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (!XmlConvert.IsXmlChar(c))
            {
                return i;
            }
        }

        return -1;
    }

    public QueryWriter Time(string name, DateTimeOffset value) =>
        Element(name, value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));

    public QueryWriter Open(string name)
    {
        _xml.WriteStartElement(name);
        return this;
    }

    public QueryWriter Close()
    {
        _xml.WriteEndElement();
        return this;
    }

    public string Finish()
    {
        _xml.WriteEndElement();
        _xml.WriteStartElement("ResponseMetadata");
        _xml.WriteElementString("RequestId", RequestId);
        _xml.WriteEndElement();
        _xml.WriteEndElement();
        _xml.Flush();
        return _text.ToString().Replace("encoding=\"utf-16\"", "encoding=\"UTF-8\"", StringComparison.Ordinal);
    }

    public static string Error(string xmlNamespace, AwsError error, string requestId)
    {
        var text = new StringBuilder();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            xml.WriteStartElement("ErrorResponse", xmlNamespace);
            xml.WriteStartElement("Error");
            xml.WriteElementString("Type", error.Status >= 500 ? "Receiver" : "Sender");
            xml.WriteElementString("Code", XmlText(error.Code));
            xml.WriteElementString("Message", XmlText(error.Message));
            xml.WriteEndElement();
            xml.WriteElementString("RequestId", requestId);
            xml.WriteEndElement();
        }

        return text.ToString();
    }

    public void Dispose() => _xml.Dispose();
}
