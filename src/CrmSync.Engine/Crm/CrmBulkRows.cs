namespace CrmSync.Engine.Crm;

/// <summary>
/// An optional capability of an <see cref="ICrmChangeSource"/>: the pages of a full read (the initial copy) where the bulk
/// API's results come as rows of UTF-8 fields (<see cref="ICrmRowReader"/>) instead of one <see cref="CrmRecord"/> per
/// record, so the local writer can bind the CRM's bytes into its statement without an object per value.
/// </summary>
public interface ICrmBulkRowSource
{
    /// <summary>
    /// The same pages, cursors and watermarks as <see cref="ICrmChangeSource.ReadAllAsync"/>. A page read by the bulk API
    /// carries its rows in <see cref="CrmRowPage.Rows"/> (and no <see cref="CrmRecordPage.Records"/>); a paged query's page
    /// carries records as before. A page's rows must be read before the next page is asked for.
    /// </summary>
    IAsyncEnumerable<CrmRowPage> ReadAllRowsAsync(CrmFullReadRequest request, CancellationToken cancellationToken);
}

/// <summary>One page of a full read: its records, or (bulk results) a forward-only reader of its rows.</summary>
/// <param name="Page">The page: cursor, watermark, totals; its <see cref="CrmRecordPage.Records"/> are empty when <paramref name="Rows"/> is set.</param>
/// <param name="Rows">The page's rows, valid until the next page is asked for; null for a page of records.</param>
public sealed record CrmRowPage(CrmRecordPage Page, ICrmRowReader? Rows)
{
    /// <summary>A page of records (no row reader).</summary>
    public static CrmRowPage Of(CrmRecordPage page) => new(page, null);
}

/// <summary>
/// A forward-only reader of one chunk of bulk results: the fields of each row as the CRM's UTF-8 text (quotes removed,
/// escapes undone; an empty cell is null). <see cref="ToRecord"/> gives the current row as the <see cref="CrmRecord"/> that
/// <see cref="ICrmChangeSource.ReadAllAsync"/> would have returned, for rows that need more than a plain upsert.
/// </summary>
public interface ICrmRowReader
{
    /// <summary>Moves to the next row; false after the last. <see cref="FieldNames"/> is known once the first row is read.</summary>
    bool Read();

    /// <summary>The field (API name, as the object's schema spells it) of each column, in column order. Same instance for every row of the chunk.</summary>
    IReadOnlyList<string> FieldNames { get; }

    /// <summary>The field type of each column (the schema's; text where the schema does not know the field).</summary>
    IReadOnlyList<CrmFieldType> FieldTypes { get; }

    /// <summary>The column of the record id, or -1.</summary>
    int IdColumn { get; }

    /// <summary>The column of the modification stamp, or -1.</summary>
    int StampColumn { get; }

    /// <summary>The current row's value of <paramref name="column"/> as UTF-8 text; empty for an empty cell or a column the row lacks. Valid until the next <see cref="Read"/>.</summary>
    ReadOnlySpan<byte> Field(int column);

    /// <summary>
    /// True when every field of every row is known to be valid UTF-8 (the reader checked its whole input once), so a writer
    /// need not check each field; false when the writer must.
    /// </summary>
    bool FieldsAreValidUtf8 { get; }

    /// <summary>
    /// The memory the fields are slices of (those the reader did not decode elsewhere), pinned and unchanged until the page
    /// that handed out this reader is done: a writer may have SQLite read such a field where it lies instead of copying it.
    /// Empty when the reader has no such memory.
    /// </summary>
    ReadOnlyMemory<byte> PinnedInput { get; }

    /// <summary>
    /// True when the current row is a live record with no identity change (not deleted, not merged, not converted, not naming a
    /// lead it was converted from) whose last change the CRM does not attribute to the sync user
    /// (<see cref="CrmRecord.ModifiedBySyncUser"/> false), which a writer may insert or update from its fields; otherwise the
    /// writer takes <see cref="ToRecord"/>.
    /// </summary>
    bool IsPlain { get; }

    /// <summary>The current row as a record, converted exactly as <see cref="ICrmChangeSource.ReadAllAsync"/> converts it.</summary>
    CrmRecord ToRecord();
}
