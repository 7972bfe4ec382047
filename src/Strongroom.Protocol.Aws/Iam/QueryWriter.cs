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
            _xml.WriteElementString(name, value);
        }

        return this;
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
            xml.WriteElementString("Code", error.Code);
            xml.WriteElementString("Message", error.Message);
            xml.WriteEndElement();
            xml.WriteElementString("RequestId", requestId);
            xml.WriteEndElement();
        }

        return text.ToString();
    }

    public void Dispose() => _xml.Dispose();
}
