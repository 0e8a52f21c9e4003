namespace CrmSync.Engine.Crm;

/// <summary>
/// An optional capability of an <see cref="ICrmChangeSource"/>: an incremental read with many changes done by the CRM's
/// bulk API (one job, large result chunks) instead of thousands of paged queries.
/// </summary>
public interface ICrmBulkChangeSource
{
    /// <summary>How many records (deleted ones included when the request asks for them) changed since the request's watermark minus its overlap.</summary>
    Task<long> CountChangesAsync(CrmChangeReadRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The records changed since <see cref="CrmChangeReadRequest.Since"/> minus the overlap, deleted ones included when asked, by
    /// the bulk API, <paramref name="pageSize"/> records per page. Only the last page carries a watermark (the moment the
    /// read started, so changes made during it are read again next time); a read stopped before it leaves the watermark
    /// where it was, and the next read starts over (applying a record twice is harmless).
    /// </summary>
    IAsyncEnumerable<CrmRecordPage> ReadChangesInBulkAsync(CrmChangeReadRequest request, int pageSize, CancellationToken cancellationToken);

    /// <summary>
    /// The same pages, cursors and watermarks as <see cref="ReadChangesInBulkAsync"/>, each carrying its rows as a forward-only
    /// reader (<see cref="CrmRowPage.Rows"/>, no <see cref="CrmRecordPage.Records"/>) so the local writer can bind the CRM's
    /// bytes. A page's rows must be read before the next page is asked for.
    /// </summary>
    IAsyncEnumerable<CrmRowPage> ReadChangeRowsInBulkAsync(CrmChangeReadRequest request, int pageSize, CancellationToken cancellationToken);
}
