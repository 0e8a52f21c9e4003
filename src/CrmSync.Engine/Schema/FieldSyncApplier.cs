using System.Globalization;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>What applying a field plan did.</summary>
/// <param name="BackupPath">The <c>VACUUM INTO</c> backup taken before creating anything, or null when nothing was created.</param>
/// <param name="TablesCreated">The tables created.</param>
/// <param name="ColumnsAdded">Field columns added (table.column).</param>
/// <param name="FieldsCatalogued">New catalog rows.</param>
/// <param name="FieldsOrphaned">Fields newly marked orphaned.</param>
/// <param name="TypeChangesRecorded">Type changes newly recorded.</param>
/// <param name="FieldsRestored">Orphaned fields that sync again.</param>
/// <param name="MappingsAdded">Default mappings written.</param>
/// <param name="ExclusionsStored">True when the profile's exclusion patterns were updated.</param>
public sealed record FieldSyncResult(
    string? BackupPath,
    IReadOnlyList<string> TablesCreated,
    IReadOnlyList<string> ColumnsAdded,
    int FieldsCatalogued,
    int FieldsOrphaned,
    int TypeChangesRecorded,
    int FieldsRestored,
    int MappingsAdded,
    bool ExclusionsStored);

/// <summary>
/// Applies a <see cref="FieldSyncPlan"/>: when it creates anything, first a <c>VACUUM INTO</c> backup next to the database
/// (<c>&lt;db&gt;.backup-&lt;yyyyMMddTHHmmssZ&gt;.db</c>), then ONE transaction that creates the tables with their system
/// columns (<see cref="SystemColumns"/>, through <see cref="SchemaWriter.CreateTableIfMissing"/>, the one code path that
/// creates synced tables), appends the catalog rows, adds their columns (only CREATE TABLE, ALTER TABLE
/// ADD COLUMN and CREATE INDEX; column names only from catalog rows), marks orphaned fields and type changes, writes the
/// default mappings of new fields (also after the mappings are locked), stores the exclusion patterns and the field labels.
/// Nothing is ever dropped. The plan is re-computed inside the transaction; if the database changed since the plan was
/// shown, nothing is applied (<see cref="ErrorIds.FieldPlanStale"/>).
/// </summary>
public sealed class FieldSyncApplier
{
    private readonly CrmSyncStore _store;
    private readonly SyncedObjectCatalog _objects;

    /// <summary>An applier writing to <paramref name="store"/>.</summary>
    public FieldSyncApplier(CrmSyncStore store, SyncedObjectCatalog objects)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _objects = objects ?? throw new ArgumentNullException(nameof(objects));
    }

    /// <summary>Applies <paramref name="plan"/>; <paramref name="runId"/> is recorded on new catalog rows (a Start-CrmSync cycle passes its run).</summary>
    public FieldSyncResult Apply(FieldSyncPlan plan, long? runId = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.HasChanges)
            return new FieldSyncResult(null, [], [], 0, 0, 0, 0, 0, false);

        var backup = plan.CreatesSchema ? Backup() : null;
        return _store.Write(null, (connection, tx) =>
        {
            var current = new FieldSyncPlanner(_objects).Plan(plan.Snapshot, FieldSyncState.Read(_store, tx), plan.GivenExclusions, plan.ResetExclusions, plan.GivenSelection, plan.ResetSelection);
            if (current.Signature() != plan.Signature())
                throw new CrmSyncException(ErrorIds.FieldPlanStale, ErrorKind.InvalidOperation,
                    $"The CrmSync database {_store.DatabasePath} changed since the field plan was made (another {ShellAction.SyncFields} or {ShellAction.Start} ran); nothing was applied.",
                    $"Run {ShellAction.SyncFields} again to see the current plan.", _store.DatabasePath);

            var tablesCreated = new List<string>();
            foreach (var table in plan.Tables.Where(t => !t.Exists))
            {
                if (_store.SchemaWriter.CreateTableIfMissing(tx, table.Name, SystemColumns.For(table.IsPerson, table.IsTwoWay)))
                    tablesCreated.Add(table.Name);
            }

            var catalogued = 0;
            foreach (var entry in plan.Entries.Where(e => e.Action == FieldPlanAction.Create))
            {
                var schema = plan.Snapshot.Objects.FirstOrDefault(o => string.Equals(o.Object.ObjectName, entry.ObjectName, StringComparison.OrdinalIgnoreCase))?.Schema;
                _store.FieldCatalog.Append(new NewCatalogField(entry.ObjectName, entry.Table, entry.FieldName, entry.Column!, entry.NativeType,
                    entry.SqliteType!.Value, entry.IsCreateable, entry.IsUpdateable, entry.IsCalculated, entry.IsExternalId,
                    schema?.RolesOf(entry.FieldName) ?? CrmFieldRole.None, entry.CrmType), runId, tx);
                catalogued++;
            }

            var columnsAdded = new List<string>();
            foreach (var table in plan.Tables.Select(t => t.Name))
                columnsAdded.AddRange(_store.SchemaWriter.AddCatalogColumns(tx, table).Select(c => table + "." + c));

            int orphaned = 0, typeChanges = 0, restored = 0, mappings = 0;
            foreach (var entry in plan.Entries.Where(e => e.ChangesDatabase))
            {
                switch (entry.Action)
                {
                    case FieldPlanAction.Orphaned:
                        if (_store.FieldCatalog.MarkOrphaned(entry.ObjectName, entry.FieldName, tx))
                            orphaned++;
                        break;
                    case FieldPlanAction.TypeChanged:
                        if (_store.FieldCatalog.MarkTypeReplaced(entry.ObjectName, entry.FieldName, entry.NativeType, tx))
                            typeChanges++;
                        break;
                    case FieldPlanAction.Restored:
                        if (_store.FieldCatalog.MarkRestored(entry.ObjectName, entry.FieldName, tx))
                            restored++;
                        if (entry.CreatedAsType is not null)
                            _store.FieldCatalog.MarkTypeReplaced(entry.ObjectName, entry.FieldName, entry.NativeType, tx);
                        break;
                    case FieldPlanAction.Exists:
                        _store.FieldCatalog.ClearReplacedType(entry.ObjectName, entry.FieldName, tx);
                        break;
                }
                if (entry.NeedsDefaultMapping && entry.Column is not null)
                {
                    _store.FieldMappings.Save(FieldMappingService.DefaultMapping(entry.ObjectName, entry.FieldName, entry.Table, entry.Column, entry.Direction), tx);
                    mappings++;
                }
            }

            RecordRoles(tx, plan);
            CreateIndexes(tx, plan);
            SaveLabels(connection, tx, plan);
            SaveOptionLabels(connection, tx, plan);
            if (plan.StoresExclusions)
            {
                var profile = _store.Profile.Read(tx)!;
                _store.Profile.Save(profile with { SettingsJson = plan.Exclusions.WriteTo(profile.SettingsJson) }, tx);
            }
            if (plan.StoresSelection)
            {
                var profile = _store.Profile.Read(tx)!;
                _store.Profile.Save(profile with { SettingsJson = plan.Selection.WriteTo(profile.SettingsJson, FieldExclusionSet.SelectionSettingsProperty) }, tx);
            }
            return new FieldSyncResult(backup, tablesCreated, columnsAdded, catalogued, orphaned, typeChanges, restored, mappings, plan.StoresExclusions);
        });
    }

    /// <summary>The path the next backup would get: <c>&lt;db&gt;.backup-&lt;yyyyMMddTHHmmssZ&gt;.db</c>, with -2, -3, ... if taken.</summary>
    public string NextBackupPath()
    {
        var stamp = _store.Time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var path = $"{_store.DatabasePath}.backup-{stamp}.db";
        for (var n = 2; File.Exists(path); n++)
            path = $"{_store.DatabasePath}.backup-{stamp}-{n.ToString(CultureInfo.InvariantCulture)}.db";
        return path;
    }

    private string Backup()
    {
        var path = NextBackupPath();
        PrivateFile.CreateEmpty(path); // a copy of personal data: owner-only (Unix); VACUUM INTO accepts an empty file
        _store.Read(null, (connection, _) =>
        {
            using var command = connection.Command(null, "VACUUM INTO $path;").With("$path", path);
            return command.ExecuteNonQuery();
        });
        PrivateFile.Tighten(path);
        return path;
    }

    private void CreateIndexes(SqliteTransaction tx, FieldSyncPlan plan)
    {
        foreach (var table in plan.Tables.Where(t => t.IsPerson))
            PersonIndexes.Ensure(_store, tx, table.Name, _objects.Persons.EmailField);
    }

    /// <summary>
    /// Field roles are data: every catalogued field of a described object keeps the roles the schema reader reports for it
    /// (id, modification stamp, deleted flag, merged-into, converted-into, created date) and its current neutral type.
    /// </summary>
    private void RecordRoles(SqliteTransaction tx, FieldSyncPlan plan)
    {
        foreach (var described in plan.Snapshot.Objects)
            foreach (var entry in _store.FieldCatalog.List(described.Object.ObjectName, transaction: tx))
                if (described.Schema.FindField(entry.FieldName) is { } field)
                    _store.FieldCatalog.SetRoles(entry.ObjectName, entry.FieldName, described.Schema.RolesOf(field.Name), field.Type, tx);
    }

    private static void SaveLabels(SqliteConnection connection, SqliteTransaction tx, FieldSyncPlan plan)
    {
        foreach (var entry in plan.Entries.Where(e => e.Column is not null && e.Action != FieldPlanAction.Orphaned))
        {
            using var command = connection.Command(tx, $"""
                INSERT INTO {FieldSyncState.LabelTable} (object_name, field_name, label) VALUES ($object, $field, $label)
                ON CONFLICT (object_name, field_name) DO UPDATE SET label = excluded.label;
                """).With("$object", entry.ObjectName).With("$field", entry.FieldName).With("$label", entry.Label);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The table of option-set / picklist labels: the data column keeps the CRM's value, this table its label.</summary>
    public const string OptionLabelTable = "crmsync_option_label";

    /// <summary>
    /// Option sets and picklists keep their value in the data column (Dataverse "3", multi-select "1;3"; a Salesforce picklist
    /// value) and their labels here, one row per value of every catalogued field that has a value list, as the CRM describes
    /// them now (a value no longer listed is kept, marked inactive), so a local query can join the label.
    /// </summary>
    private void SaveOptionLabels(SqliteConnection connection, SqliteTransaction tx, FieldSyncPlan plan)
    {
        foreach (var described in plan.Snapshot.Objects)
            foreach (var entry in _store.FieldCatalog.List(described.Object.ObjectName, transaction: tx))
            {
                if (described.Schema.FindField(entry.FieldName) is not { PicklistValues.Count: > 0 } field)
                    continue;
                using (var retire = connection.Command(tx, $"UPDATE {OptionLabelTable} SET is_active = 0 WHERE object_name = $object AND field_name = $field;")
                           .With("$object", entry.ObjectName).With("$field", entry.FieldName))
                    retire.ExecuteNonQuery();
                foreach (var option in field.PicklistValues)
                {
                    using var command = connection.Command(tx,
                        $"INSERT INTO {OptionLabelTable} (object_name, field_name, value, label, is_active) VALUES ($object, $field, $value, $label, $active) " +
                        "ON CONFLICT (object_name, field_name, value) DO UPDATE SET label = excluded.label, is_active = excluded.is_active;")
                        .With("$object", entry.ObjectName).With("$field", entry.FieldName).With("$value", option.Value)
                        .With("$label", option.Label).With("$active", option.Active ? 1 : 0);
                    command.ExecuteNonQuery();
                }
            }
    }
}
