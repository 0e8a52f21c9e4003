using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Schema;

/// <summary>
/// The system columns of the synced tables. They all start with an underscore, which no CRM API field name can, so
/// they never collide with a field column. Pull and push read and write them by these names.
/// </summary>
public static class SystemColumns
{
    /// <summary>The local row key (INTEGER PRIMARY KEY, the rowid).</summary>
    public const string RowId = "_row_id";
    /// <summary>The CRM id; TEXT COLLATE BINARY UNIQUE, since Salesforce ids are case-sensitive (18 characters).</summary>
    public const string CrmId = "_crm_id";
    /// <summary>1 when the record was deleted in the CRM (the row is kept), else 0.</summary>
    public const string CrmIsDeleted = "_crm_is_deleted";
    /// <summary>The CRM modification stamp of the last applied version (ISO-8601 UTC).</summary>
    public const string CrmModstamp = "_crm_modstamp";
    /// <summary>The CRM created date (ISO-8601 UTC).</summary>
    public const string CrmCreatedDate = "_crm_created_date";
    /// <summary>When the sync last wrote the row (ISO-8601 UTC).</summary>
    public const string SyncedAt = "_synced_at";
    /// <summary>person: Lead, Contact, or NULL for a person created locally and not yet in the CRM.</summary>
    public const string CrmType = "_crm_type";
    /// <summary>Two-way tables: the client-generated key written to the External ID field for idempotent creates.</summary>
    public const string ClientKey = "_client_key";
    /// <summary>person: the CRM id of the record this one was merged into.</summary>
    public const string MergedInto = "_merged_into";
    /// <summary>person: the lead id this contact was converted from.</summary>
    public const string ConvertedFromLeadId = "_converted_from_lead_id";
    /// <summary>person: when the row was created locally (ISO-8601 UTC).</summary>
    public const string LocalCreatedAt = "_local_created_at";
    /// <summary>person: when the row was last changed locally (ISO-8601 UTC).</summary>
    public const string LocalUpdatedAt = "_local_updated_at";

    /// <summary>The names of the system columns of a table of the given kind, in table order.</summary>
    public static IReadOnlyList<string> NamesFor(bool isPerson, bool isTwoWay)
    {
        var names = new List<string> { RowId, CrmId, CrmIsDeleted, CrmModstamp, CrmCreatedDate, SyncedAt };
        if (isPerson)
            names.AddRange([CrmType, ClientKey, MergedInto, ConvertedFromLeadId, LocalCreatedAt, LocalUpdatedAt]);
        else if (isTwoWay)
            names.Add(ClientKey);
        return names;
    }

    /// <summary>The system columns every synced table starts with.</summary>
    private static IReadOnlyList<SystemColumn> Common { get; } =
    [
        new(RowId, SqliteColumnType.Integer, PrimaryKey: true),
        new(CrmId, SqliteColumnType.Text) { Unique = true },
        new(CrmIsDeleted, SqliteColumnType.Integer) { IsFlag = true },
        new(CrmModstamp, SqliteColumnType.Text),
        new(CrmCreatedDate, SqliteColumnType.Text),
        new(SyncedAt, SqliteColumnType.Text),
    ];

    /// <summary>The extra system columns of the person table.</summary>
    private static IReadOnlyList<SystemColumn> PersonExtra { get; } =
    [
        new(CrmType, SqliteColumnType.Text) { AllowedValues = [.. PersonKind.All] },
        new(ClientKey, SqliteColumnType.Text) { UniqueWhenNotNull = true },
        new(MergedInto, SqliteColumnType.Text),
        new(ConvertedFromLeadId, SqliteColumnType.Text),
        new(LocalCreatedAt, SqliteColumnType.Text),
        new(LocalUpdatedAt, SqliteColumnType.Text),
    ];

    /// <summary>The extra system columns of the other two-way tables (campaign, campaign_member).</summary>
    private static IReadOnlyList<SystemColumn> TwoWayExtra { get; } = [new(ClientKey, SqliteColumnType.Text) { UniqueWhenNotNull = true }];

    /// <summary>The system columns of a table of the given kind, in table order, for <see cref="SchemaWriter.CreateTableIfMissing"/>.</summary>
    public static IReadOnlyList<SystemColumn> For(bool isPerson, bool isTwoWay) =>
        isPerson ? [.. Common, .. PersonExtra] : isTwoWay ? [.. Common, .. TwoWayExtra] : Common;
}
