using System.Text.Json;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>describeGlobal and sObject describe.</summary>
public sealed class SalesforceSchemaReader : ICrmSchemaReader
{
    private readonly SalesforceSession _session;

    internal SalesforceSchemaReader(SalesforceSession session) => _session = session;

    public async Task<IReadOnlyList<CrmObjectSummary>> ListObjectsAsync(CancellationToken cancellationToken)
    {
        using var doc = await _session.SendForJsonAsync(() => new HttpRequestMessage(HttpMethod.Get, _session.DataUri("sobjects/")),
            "the object list", cancellationToken).ConfigureAwait(false);
        return Parse(() => SalesforceJson.ParseDescribeGlobal(doc.RootElement), "the object list");
    }

    public async Task<CrmObjectSchema> DescribeAsync(string objectName, CancellationToken cancellationToken)
    {
        SoqlSyntax.CheckIdentifier(objectName, "object");
        using var doc = await _session.SendForJsonAsync(
            () => new HttpRequestMessage(HttpMethod.Get, _session.DataUri($"sobjects/{objectName}/describe")),
            "object " + objectName, cancellationToken).ConfigureAwait(false);
        return Parse(() => SalesforceJson.ParseDescribe(doc.RootElement), "object " + objectName);
    }

    internal static T Parse<T>(Func<T> parse, string target)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException or OverflowException or CsvHelper.CsvFormatException)
        {
            throw new CrmSyncException(ErrorIds.CrmProtocolError, ErrorKind.ProtocolError,
                $"Salesforce returned an unexpected body for {target}: {ex.Message}", "Retry; if it persists, report it to the CrmSync maintainers.", target, ex);
        }
    }
}
