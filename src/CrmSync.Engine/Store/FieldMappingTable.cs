using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>Which side wins for a mapped field when both changed.</summary>
public enum FieldMappingRule
{
    /// <summary>Marketo's default: a Lead's local change wins, a Contact's CRM change wins.</summary>
    TwoWay,
    /// <summary>The CRM value wins unless it is blank.</summary>
    PreferCrmUnlessBlank,
    AlwaysCrm,
    AlwaysLocal,
    /// <summary>The field is not synced.</summary>
    None,
}

/// <summary>Which way values of a mapped field flow.</summary>
public enum MappingDirection
{
    TwoWay,
    CrmToLocal,
    LocalToCrm,
    None,
}

/// <summary>One field mapping: a CRM field and its local column.</summary>
public sealed record FieldMapping(
    string ObjectName,
    string FieldName,
    string TableName,
    string ColumnName,
    FieldMappingRule Rule,
    MappingDirection Direction,
    bool Enabled);

/// <summary>The stored field mappings (<c>crmsync_field_mapping</c>): a typed accessor; the mapping logic lives elsewhere.</summary>
public sealed class FieldMappingTable
{
    private readonly CrmSyncStore _store;

    internal FieldMappingTable(CrmSyncStore store) => _store = store;

    /// <summary>Adds the mapping of a CRM field or replaces it.</summary>
    public void Save(FieldMapping mapping, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        SqlIdentifier.Quote(mapping.TableName);
        SqlIdentifier.Quote(mapping.ColumnName);
        _store.Write(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_field_mapping (object_name, field_name, table_name, column_name, rule, direction, enabled, updated_at)
                VALUES ($object, $field, $table, $column, $rule, $direction, $enabled, $now)
                ON CONFLICT (object_name, field_name) DO UPDATE SET
                    table_name = excluded.table_name, column_name = excluded.column_name, rule = excluded.rule,
                    direction = excluded.direction, enabled = excluded.enabled, updated_at = excluded.updated_at;
                """)
                .With("$object", mapping.ObjectName).With("$field", mapping.FieldName).With("$table", mapping.TableName)
                .With("$column", mapping.ColumnName).With("$rule", mapping.Rule.ToString())
                .With("$direction", mapping.Direction.ToString()).With("$enabled", mapping.Enabled ? 1 : 0)
                .With("$now", _store.Now());
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>The mappings (optionally of one CRM object), ordered by object and field.</summary>
    public IReadOnlyList<FieldMapping> List(string? objectName = null, SqliteTransaction? transaction = null) =>
        _store.Read(transaction, (connection, tx) =>
        {
            using var command = connection.Command(tx, """
                SELECT object_name, field_name, table_name, column_name, rule, direction, enabled
                FROM crmsync_field_mapping WHERE $object IS NULL OR object_name = $object
                ORDER BY object_name, field_name;
                """).With("$object", objectName);
            using var reader = command.ExecuteReader();
            var rows = new List<FieldMapping>();
            while (reader.Read())
                rows.Add(new FieldMapping(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.Enum<FieldMappingRule>(4), reader.Enum<MappingDirection>(5), reader.Flag(6)));
            return rows;
        });
}
