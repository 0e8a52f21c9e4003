using CrmSync.Engine.Crm;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>The SQLite storage class of a created column.</summary>
public enum SqliteColumnType
{
    Text,
    Integer,
    Real,
    Numeric,
    Blob,
}

/// <summary>A field to add to the catalog: a CRM field and the local column created for it.</summary>
/// <param name="ObjectName">CRM API object name, e.g. Lead.</param>
/// <param name="TableName">Local table, e.g. person.</param>
/// <param name="FieldName">CRM API field name, e.g. Email.</param>
/// <param name="ColumnName">Local column name.</param>
/// <param name="CrmType">The CRM's type, e.g. email, double, picklist.</param>
/// <param name="SqliteType">The local column's storage class.</param>
/// <param name="Roles">What the field means to the sync (id, modification stamp, ...), as the schema reader reported it.</param>
/// <param name="FieldType">The neutral type of the field as the CRM reports it now.</param>
public sealed record NewCatalogField(
    string ObjectName,
    string TableName,
    string FieldName,
    string ColumnName,
    string CrmType,
    SqliteColumnType SqliteType,
    bool IsCreateable = false,
    bool IsUpdateable = false,
    bool IsCalculated = false,
    bool IsExternalId = false,
    CrmFieldRole Roles = CrmFieldRole.None,
    CrmFieldType? FieldType = null);

/// <summary>
/// One row of the append-only field catalog. <paramref name="Roles"/> and <paramref name="FieldType"/> are kept current by
/// Sync-CrmField (store migration 6 filled them for catalogues from before): the pull and push read them instead of
/// guessing from field names.
/// </summary>
public sealed record FieldCatalogEntry(
    long Id,
    string ObjectName,
    string TableName,
    string FieldName,
    string ColumnName,
    string CrmType,
    SqliteColumnType SqliteType,
    bool IsCreateable,
    bool IsUpdateable,
    bool IsCalculated,
    bool IsExternalId,
    bool IsOrphaned,
    DateTimeOffset? OrphanedAt,
    string? ReplacedType,
    DateTimeOffset CreatedAt,
    long? CreatedByRun,
    CrmFieldRole Roles = CrmFieldRole.None,
    CrmFieldType? FieldType = null);

/// <summary>
/// The append-only catalog of every created field (<c>crmsync_field_catalog</c>). Rows are only ever added; a
/// field that disappears from the CRM is marked orphaned and kept; a changed CRM type is recorded next to the
/// original. The database itself refuses DELETE and any change to a row's identity (triggers), so no tool can
/// break the promise either.
/// </summary>
public sealed class FieldCatalog
{
    private const string Columns =
        "id, object_name, table_name, field_name, column_name, crm_type, sqlite_type, is_createable, is_updateable, " +
        "is_calculated, is_external_id, is_orphaned, orphaned_at, replaced_type, created_at, created_by_run, roles, field_type";

    private readonly CrmSyncStore _store;

    internal FieldCatalog(CrmSyncStore store) => _store = store;

    /// <summary>
    /// Adds a field. Appending a field that is already catalogued with the same table and column is harmless and
    /// returns the existing row; the same CRM field with a different table or column is refused
    /// (<see cref="ErrorIds.CatalogAppendOnly"/>).
    /// </summary>
    public FieldCatalogEntry Append(NewCatalogField field, long? createdByRun = null, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        SqlIdentifier.Quote(field.TableName);
        SqlIdentifier.Quote(field.ColumnName);
        if (string.IsNullOrWhiteSpace(field.ObjectName) || string.IsNullOrWhiteSpace(field.FieldName) || string.IsNullOrWhiteSpace(field.CrmType))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                "A catalog field needs an object name, a field name and a CRM type.", "Describe the field from the CRM metadata.");

        return _store.Write(transaction, (connection, tx) =>
        {
            var existing = Find(field.ObjectName, field.FieldName, tx);
            if (existing is not null)
            {
                if (existing.TableName == field.TableName && existing.ColumnName == field.ColumnName)
                    return existing;
                throw new CrmSyncException(ErrorIds.CatalogAppendOnly, ErrorKind.InvalidOperation,
                    $"{field.ObjectName}.{field.FieldName} is already catalogued as {existing.TableName}.{existing.ColumnName}; " +
                    "a created field never moves to another table or column.",
                    "Keep the existing column; the catalog is append-only.", $"{field.ObjectName}.{field.FieldName}");
            }
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_field_catalog
                    (object_name, table_name, field_name, column_name, crm_type, sqlite_type, is_createable,
                     is_updateable, is_calculated, is_external_id, created_at, created_by_run, roles, field_type)
                VALUES ($object, $table, $field, $column, $crmType, $sqliteType, $createable, $updateable,
                        $calculated, $externalId, $now, $run, $roles, $fieldType);
                """)
                .With("$object", field.ObjectName).With("$table", field.TableName).With("$field", field.FieldName)
                .With("$column", field.ColumnName).With("$crmType", field.CrmType)
                .With("$sqliteType", field.SqliteType.ToString().ToUpperInvariant())
                .With("$createable", field.IsCreateable ? 1 : 0).With("$updateable", field.IsUpdateable ? 1 : 0)
                .With("$calculated", field.IsCalculated ? 1 : 0).With("$externalId", field.IsExternalId ? 1 : 0)
                .With("$now", _store.Now()).With("$run", createdByRun)
                .With("$roles", FormatRoles(field.Roles)).With("$fieldType", field.FieldType?.ToString());
            command.ExecuteNonQuery();
            return Find(field.ObjectName, field.FieldName, tx)!;
        });
    }

    /// <summary>Marks a field that disappeared from the CRM as orphaned (kept, no longer synced). False when not catalogued.</summary>
    public bool MarkOrphaned(string objectName, string fieldName, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                UPDATE crmsync_field_catalog SET is_orphaned = 1, orphaned_at = coalesce(orphaned_at, $now)
                WHERE object_name = $object AND field_name = $field;
                """).With("$now", _store.Now()).With("$object", objectName).With("$field", fieldName);
            return command.ExecuteNonQuery() == 1;
        });

    /// <summary>Records that the CRM now reports another type for the field; the original column is kept. False when not catalogued.</summary>
    public bool MarkTypeReplaced(string objectName, string fieldName, string newCrmType, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                UPDATE crmsync_field_catalog SET replaced_type = $type
                WHERE object_name = $object AND field_name = $field;
                """).With("$type", newCrmType).With("$object", objectName).With("$field", fieldName);
            return command.ExecuteNonQuery() == 1;
        });

    /// <summary>
    /// A field marked orphaned that the CRM shows again syncs again: clears the orphaned flag and time (the row and its
    /// column were kept all along). False when the field is not catalogued or not orphaned.
    /// </summary>
    public bool MarkRestored(string objectName, string fieldName, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                UPDATE crmsync_field_catalog SET is_orphaned = 0, orphaned_at = NULL
                WHERE object_name = $object AND field_name = $field AND is_orphaned = 1;
                """).With("$object", objectName).With("$field", fieldName);
            return command.ExecuteNonQuery() == 1;
        });

    /// <summary>
    /// The CRM reports the field's original type again: forgets the recorded type change (<see cref="MarkTypeReplaced"/>).
    /// The created type itself never changes. False when the field is not catalogued or has no recorded type change.
    /// </summary>
    public bool ClearReplacedType(string objectName, string fieldName, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                UPDATE crmsync_field_catalog SET replaced_type = NULL
                WHERE object_name = $object AND field_name = $field AND replaced_type IS NOT NULL;
                """).With("$object", objectName).With("$field", fieldName);
            return command.ExecuteNonQuery() == 1;
        });

    /// <summary>
    /// Records the field's roles and current neutral type as the CRM reports them (they are not part of a field's identity).
    /// False when the field is not catalogued or nothing changed.
    /// </summary>
    public bool SetRoles(string objectName, string fieldName, CrmFieldRole roles, CrmFieldType fieldType, SqliteTransaction? transaction = null) =>
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                UPDATE crmsync_field_catalog SET roles = $roles, field_type = $type
                WHERE object_name = $object AND field_name = $field AND (roles IS NOT $roles OR field_type IS NOT $type);
                """).With("$roles", FormatRoles(roles)).With("$type", fieldType.ToString()).With("$object", objectName).With("$field", fieldName);
            return command.ExecuteNonQuery() == 1;
        });

    /// <summary>Roles as stored: the flag names ("PrimaryId", "ModificationStamp, CreatedDate"), NULL for none.</summary>
    internal static string? FormatRoles(CrmFieldRole roles) => roles == CrmFieldRole.None ? null : roles.ToString();

    private static CrmFieldRole ParseRoles(string? text) =>
        string.IsNullOrEmpty(text) ? CrmFieldRole.None : Enum.Parse<CrmFieldRole>(text, ignoreCase: true);

    private static CrmFieldType? ParseFieldType(string? text) =>
        Enum.TryParse<CrmFieldType>(text, ignoreCase: true, out var type) ? type : null;

    /// <summary>The catalogued field, or null.</summary>
    public FieldCatalogEntry? Find(string objectName, string fieldName, SqliteTransaction? transaction = null) =>
        Query(transaction, "WHERE object_name = $object AND field_name = $field", c => c.With("$object", objectName).With("$field", fieldName))
            .FirstOrDefault();

    /// <summary>Every catalogued field (optionally of one object or one local table), in creation order.</summary>
    public IReadOnlyList<FieldCatalogEntry> List(string? objectName = null, string? tableName = null, SqliteTransaction? transaction = null) =>
        Query(transaction,
            "WHERE ($object IS NULL OR object_name = $object) AND ($table IS NULL OR table_name = $table)",
            c => c.With("$object", objectName).With("$table", tableName));

    private List<FieldCatalogEntry> Query(SqliteTransaction? transaction, string where, Action<SqliteCommand> bind) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, $"SELECT {Columns} FROM crmsync_field_catalog {where} ORDER BY id;");
            bind(command);
            using var reader = command.ExecuteReader();
            var rows = new List<FieldCatalogEntry>();
            while (reader.Read())
                rows.Add(new FieldCatalogEntry(
                    reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetString(5), Enum.Parse<SqliteColumnType>(reader.GetString(6), ignoreCase: true),
                    reader.Flag(7), reader.Flag(8), reader.Flag(9), reader.Flag(10), reader.Flag(11),
                    reader.NullableTime(12), reader.NullableString(13), reader.Time(14), reader.NullableInt64(15),
                    ParseRoles(reader.NullableString(16)), ParseFieldType(reader.NullableString(17))));
            return rows;
        });
}
