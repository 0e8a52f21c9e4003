using System.Globalization;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>
/// Builds the <see cref="FieldSyncPlan"/> from the described CRM schema, the local catalog and the exclusions. Pure: it
/// reads nothing and writes nothing.
/// <para>Column names: a field's column is named exactly as its API name. In the person table a Contact field shares
/// the Lead field's column when both have the same API name (case-insensitive) and compatible types
/// (<see cref="FieldTypeMapping.AreCompatible"/>). When the name is taken by an incompatible field (or by another field
/// of the same object), the field gets <c>&lt;Object&gt;_&lt;Field&gt;</c> (e.g. <c>Contact_Status</c>), then
/// <c>&lt;Object&gt;_&lt;Field&gt;_2</c>, <c>_3</c>, ...: the first free valid name. The first object that created a
/// column keeps the plain name; within one run Lead comes before Contact. A created field keeps its column forever (the
/// catalog decides, not this rule).</para>
/// <para>Renames: when, on one object, a field vanished and a new field appeared with the same label, the plan shows
/// Orphaned(old) and Create(new) with a note linking them; the API name is what identifies a field.</para>
/// </summary>
public sealed class FieldSyncPlanner
{
    private const int MaxColumnSuffix = 100;
    private readonly SyncedObjectCatalog _objects;

    /// <summary>A planner for the objects of <paramref name="objects"/>.</summary>
    public FieldSyncPlanner(SyncedObjectCatalog objects) => _objects = objects ?? throw new ArgumentNullException(nameof(objects));

    /// <summary>Plans a run.</summary>
    /// <param name="snapshot">The described objects.</param>
    /// <param name="state">The local catalog, mappings, tables, labels and stored exclusions.</param>
    /// <param name="givenExclusions">The -ExcludeField patterns of this run.</param>
    /// <param name="resetExclusions">True to replace the stored patterns by <paramref name="givenExclusions"/> instead of adding to them.</param>
    /// <param name="givenSelection">The -Field patterns of this run (include-only selection), added to the remembered
    /// selection (<see cref="FieldSyncState.StoredSelection"/>). When the resulting selection is not empty, a new field is
    /// created only when a pattern matches it or the sync needs it; exclusions still apply on top. Fields created before
    /// stay (creation is permanent).</param>
    /// <param name="resetSelection">True to replace the remembered selection by <paramref name="givenSelection"/> instead of
    /// adding to it (none given: the selection is cleared and every field is selected again). Fields created before that the
    /// new selection leaves out keep their columns and keep syncing, with a note (as with an exclusion added later).</param>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.FieldExclusionRefused"/> when a pattern names a field the sync needs
    /// (wildcard patterns just do not apply to those fields: see <see cref="FieldSyncPlan.ProtectedFromExclusion"/>).</exception>
    public FieldSyncPlan Plan(CrmSchemaSnapshot snapshot, FieldSyncState state, FieldExclusionSet givenExclusions, bool resetExclusions = false,
        FieldExclusionSet? givenSelection = null, bool resetSelection = false)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(givenExclusions);
        givenSelection ??= FieldExclusionSet.Empty;
        var selection = resetSelection ? givenSelection : state.StoredSelection.Union(givenSelection);
        var storesSelection = !selection.SameAs(state.StoredSelection);
        var fieldParameter = ShellAction.SyncFields.Parameter(ActionParameter.Field);
        string SelectionText() => string.Join(", ", selection.PatternTexts.Select(p => "'" + p + "'"));
        bool Unselected(string objectName, string fieldName) => selection.Patterns.Count > 0 && selection.FindMatch(objectName, fieldName) is null;

        var exclusions = resetExclusions ? givenExclusions : state.StoredExclusions.Union(givenExclusions);
        var storesExclusions = !exclusions.SameAs(state.StoredExclusions);

        var catalog = new Dictionary<(string, string), FieldCatalogEntry>(ObjectFieldComparer.Instance);
        foreach (var entry in state.Catalog)
            catalog.TryAdd((entry.ObjectName, entry.FieldName), entry);
        var mapped = new HashSet<(string, string)>(state.Mappings.Select(m => (m.ObjectName, m.FieldName)), ObjectFieldComparer.Instance);
        var columns = new ColumnRegistry(_objects.PersonObjects);
        foreach (var entry in state.Catalog)
            columns.Seed(entry);

        var entries = new List<FieldPlanEntry>();
        var protectedFields = new List<string>();
        var createdOutside = new List<FieldPlanEntry>();
        var visited = new HashSet<(string, string)>(ObjectFieldComparer.Instance);
        var describedObjects = new HashSet<string>(snapshot.Objects.Select(o => o.Object.ObjectName), StringComparer.OrdinalIgnoreCase);

        foreach (var described in snapshot.Objects)
        {
            var syncedObject = described.Object;
            var schema = described.Schema;
            var critical = new HashSet<string>(CriticalFieldsGuarded(syncedObject, schema, givenExclusions, state.SyncFilterField), StringComparer.OrdinalIgnoreCase);
            var objectEntries = new List<FieldPlanEntry>();

            foreach (var field in schema.Fields)
            {
                var key = (syncedObject.ObjectName, field.Name);
                var direction = FieldTypeMapping.DefaultDirection(syncedObject.IsTwoWay, field.Createable, field.Updateable, field.Calculated);
                var basic = new FieldPlanEntry
                {
                    ObjectName = syncedObject.ObjectName,
                    FieldName = field.Name,
                    Label = field.Label,
                    CrmType = field.Type,
                    NativeType = field.NativeType,
                    Table = syncedObject.TableName,
                    Direction = direction,
                    Action = FieldPlanAction.Create,
                    IsCreateable = field.Createable,
                    IsUpdateable = field.Updateable,
                    IsCalculated = field.Calculated,
                    IsExternalId = field.ExternalId,
                };

                if (catalog.TryGetValue(key, out var existing))
                {
                    visited.Add(key);
                    var planned = PlanCatalogued(basic, existing, field, !mapped.Contains(key));
                    if (planned.Action != FieldPlanAction.Restored && !critical.Contains(field.Name) && exclusions.FindMatch(syncedObject.ObjectName, field.Name) is { } late)
                        planned = planned with
                        {
                            Note = (planned.Note is null ? "" : planned.Note + "; ") +
                                   $"matches {ShellParameter.For(ActionParameter.ExcludeField)} '{late.Pattern}' but was created before: created fields are permanent and keep syncing ({ShellAction.SetMapping.With(ActionParameter.Disable)} stops it before the first start)",
                        };
                    else if (planned.Action != FieldPlanAction.Restored && !critical.Contains(field.Name) && Unselected(syncedObject.ObjectName, field.Name))
                        planned = planned with
                        {
                            Note = (planned.Note is null ? "" : planned.Note + "; ") +
                                   $"outside the {fieldParameter} selection ({SelectionText()}) but was created before: created fields are permanent and keep syncing",
                        };
                    if (planned.Action != FieldPlanAction.Restored && !critical.Contains(field.Name) && Unselected(syncedObject.ObjectName, field.Name))
                        createdOutside.Add(planned);
                    objectEntries.Add(planned);
                    continue;
                }
                if (FieldTypeMapping.IsCompound(field))
                {
                    objectEntries.Add(basic with
                    {
                        Action = FieldPlanAction.Unsupported,
                        Note = $"compound {field.NativeType} field: its components (for example Street and City, or Latitude and Longitude) are fields of their own",
                    });
                    continue;
                }
                var match = exclusions.FindMatch(syncedObject.ObjectName, field.Name);
                if (match is not null && critical.Contains(field.Name))
                {
                    protectedFields.Add($"{syncedObject.ObjectName}.{field.Name} ('{match.Pattern}')");
                    basic = basic with { Note = $"matches {ShellParameter.For(ActionParameter.ExcludeField)} '{match.Pattern}' but is kept: the sync needs it" };
                }
                else if (match is { } pattern)
                {
                    objectEntries.Add(basic with { Action = FieldPlanAction.Excluded, Note = $"matches {ShellParameter.For(ActionParameter.ExcludeField)} '{pattern.Pattern}'" });
                    continue;
                }
                if (Unselected(syncedObject.ObjectName, field.Name))
                {
                    if (!critical.Contains(field.Name))
                    {
                        objectEntries.Add(basic with { Action = FieldPlanAction.Excluded, Note = $"not in the {fieldParameter} selection ({SelectionText()})" });
                        continue;
                    }
                    basic = basic with { Note = basic.Note ?? $"not in the {fieldParameter} selection but is kept: the sync needs it" };
                }

                var sqliteType = FieldTypeMapping.SqliteTypeOf(field.Type);
                var (column, shared) = columns.Allocate(syncedObject, field);
                objectEntries.Add(basic with
                {
                    Column = column,
                    SqliteType = sqliteType,
                    ChangesDatabase = true,
                    NeedsDefaultMapping = !mapped.Contains(key),
                    Note = basic.Note is not null
                        ? basic.Note
                        : shared is not null
                        ? $"shares the {syncedObject.TableName}.{column} column with {shared}.{field.Name}"
                        : !string.Equals(column, field.Name, StringComparison.Ordinal)
                            ? $"column {column}: the name {field.Name} is taken in {syncedObject.TableName} by a field of another type"
                            : null,
                });
            }

            foreach (var entry in state.Catalog.Where(e => string.Equals(e.ObjectName, syncedObject.ObjectName, StringComparison.OrdinalIgnoreCase)
                                                          && !visited.Contains((e.ObjectName, e.FieldName))))
                objectEntries.Add(PlanOrphan(entry, state, $"no longer visible on {syncedObject.ObjectName}"));

            entries.AddRange(LinkRenames(objectEntries));
        }

        foreach (var entry in state.Catalog.Where(e => !describedObjects.Contains(e.ObjectName)))
        {
            var skipped = snapshot.Skipped.FirstOrDefault(s => string.Equals(s.ObjectName, entry.ObjectName, StringComparison.OrdinalIgnoreCase));
            entries.Add(PlanOrphan(entry, state, skipped is null
                ? $"the object {entry.ObjectName} is no longer synced or no longer visible"
                : $"the object {entry.ObjectName} was skipped: {skipped.Reason}"));
        }

        var tables = snapshot.Objects
            .GroupBy(o => o.Object.TableName, StringComparer.OrdinalIgnoreCase)
            .Select(g => new PlannedTable(g.First().Object.TableName, g.Select(o => o.Object.ObjectName).ToList(),
                g.Any(o => o.Object.IsPerson), g.Any(o => o.Object.IsTwoWay), state.ExistingTables.Contains(g.Key)))
            .ToList();

        return new FieldSyncPlan(entries, tables, snapshot.Skipped, exclusions, storesExclusions, snapshot, givenExclusions, resetExclusions)
        {
            ProtectedFromExclusion = protectedFields,
            Selection = selection,
            StoresSelection = storesSelection,
            GivenSelection = givenSelection,
            ResetSelection = resetSelection,
            CreatedOutsideSelection = createdOutside,
        };
    }

    private static FieldPlanEntry PlanCatalogued(FieldPlanEntry basic, FieldCatalogEntry existing, CrmFieldSchema field, bool needsMapping)
    {
        var planned = basic with
        {
            ObjectName = existing.ObjectName,
            FieldName = existing.FieldName,
            Table = existing.TableName,
            Column = existing.ColumnName,
            SqliteType = existing.SqliteType,
            NeedsDefaultMapping = needsMapping,
        };
        var typeChanged = !string.Equals(existing.CrmType, field.NativeType, StringComparison.OrdinalIgnoreCase);
        var fits = FieldTypeMapping.SqliteTypeOf(field.Type) == existing.SqliteType;
        var typeNote = $"created as {existing.CrmType} ({existing.SqliteType.ToString().ToUpperInvariant()}); the CRM now says {field.NativeType}: " +
                       "the column is kept" + (fits ? " and the values still fit it" : "; values that no longer fit are reported by the pull");
        if (existing.IsOrphaned)
            return planned with
            {
                Action = FieldPlanAction.Restored,
                ChangesDatabase = true,
                CreatedAsType = typeChanged ? existing.CrmType : null,
                Note = "orphaned since " + existing.OrphanedAt?.ToString("u", CultureInfo.InvariantCulture) + " and visible again: it syncs again into its column" +
                       (typeChanged ? "; " + typeNote : ""),
            };
        if (typeChanged)
            return planned with
            {
                Action = FieldPlanAction.TypeChanged,
                CreatedAsType = existing.CrmType,
                ChangesDatabase = needsMapping || !string.Equals(existing.ReplacedType, field.NativeType, StringComparison.OrdinalIgnoreCase),
                Note = typeNote,
            };
        return planned with
        {
            Action = FieldPlanAction.Exists,
            ChangesDatabase = needsMapping || existing.ReplacedType is not null,
            Note = existing.ReplacedType is not null ? $"the CRM type is back to {existing.CrmType}" : needsMapping ? "gets its default mapping" : null,
        };
    }

    private static FieldPlanEntry PlanOrphan(FieldCatalogEntry entry, FieldSyncState state, string reason)
    {
        var type = FieldTypeMapping.ParseNativeType(entry.CrmType);
        return new FieldPlanEntry
        {
            ObjectName = entry.ObjectName,
            FieldName = entry.FieldName,
            Label = state.Labels.GetValueOrDefault(FieldSyncState.LabelKey(entry.ObjectName, entry.FieldName)) ?? entry.FieldName,
            CrmType = type,
            NativeType = entry.CrmType,
            Table = entry.TableName,
            Column = entry.ColumnName,
            SqliteType = entry.SqliteType,
            Direction = MappingDirection.None,
            Action = FieldPlanAction.Orphaned,
            ChangesDatabase = !entry.IsOrphaned,
            IsCreateable = entry.IsCreateable,
            IsUpdateable = entry.IsUpdateable,
            IsCalculated = entry.IsCalculated,
            IsExternalId = entry.IsExternalId,
            Note = entry.IsOrphaned
                ? "orphaned since " + entry.OrphanedAt?.ToString("u", CultureInfo.InvariantCulture) + "; the column is kept"
                : reason + "; the column is kept and no longer synced",
        };
    }

    private static List<FieldPlanEntry> LinkRenames(List<FieldPlanEntry> entries)
    {
        var gone = entries.Where(e => e.Action == FieldPlanAction.Orphaned && e.ChangesDatabase).ToList();
        var created = entries.Where(e => e.Action == FieldPlanAction.Create).ToList();
        if (gone.Count == 0 || created.Count == 0)
            return entries;
        var result = new List<FieldPlanEntry>(entries);
        foreach (var old in gone)
        {
            var sameLabelGone = gone.Count(g => string.Equals(g.Label, old.Label, StringComparison.OrdinalIgnoreCase));
            var candidates = created.Where(c => string.Equals(c.Label, old.Label, StringComparison.OrdinalIgnoreCase)).ToList();
            if (sameLabelGone != 1 || candidates.Count != 1 || string.Equals(old.Label, old.FieldName, StringComparison.Ordinal))
                continue;
            var renamed = candidates[0];
            result[result.IndexOf(old)] = old with { Note = $"{old.Note}; renamed? {old.FieldName} vanished and {renamed.FieldName} appeared with the same label '{old.Label}'" };
            var index = result.FindIndex(e => ReferenceEquals(e, renamed));
            result[index] = renamed with
            {
                Note = (renamed.Note is null ? "" : renamed.Note + "; ") +
                       $"renamed from {old.FieldName}? same label '{old.Label}'; a new API name is a new field ({old.FieldName} stays in column {old.Column})",
            };
        }
        return result;
    }

    /// <summary>
    /// The fields of the object that the sync needs. A pattern given to this run that names one of them literally (e.g.
    /// 'Lead.Id', '*.Id', 'IsDeleted') is refused; a wildcard field pattern ('Lead.*', '*.Is*', 'Lead.*Id') simply
    /// does not apply to them (the plan notes it and the handler warns). A stored pattern is never refused here (it was
    /// checked when it was given): one that names a field that became critical later, such as a field named as the
    /// profile's sync filter field after the pattern was stored, does not apply to it either, so a schema refresh never fails on it.
    /// </summary>
    private IReadOnlyList<string> CriticalFieldsGuarded(SyncedObject syncedObject, CrmObjectSchema schema, FieldExclusionSet exclusions, string? syncFilterField)
    {
        var critical = _objects.CriticalFields(syncedObject, schema, syncFilterField);
        foreach (var name in critical)
        {
            if (exclusions.Patterns.FirstOrDefault(p => p.NamesFieldLiterally && p.Matches(syncedObject.ObjectName, name)) is { } pattern)
                throw new CrmSyncException(ErrorIds.FieldExclusionRefused, ErrorKind.InvalidArgument,
                    $"The {ShellAction.SyncFields.With(ActionParameter.ExcludeField)} pattern '{pattern.Pattern}' excludes {syncedObject.ObjectName}.{name}, which the sync itself needs: " +
                    "the record id, the modification stamp, the delete flag, the merge and lead conversion fields" +
                    ((syncFilterField ?? _objects.DefaultSyncFilterField) is { } filter ? $", the sync filter field {filter}" : "") +
                    $" and the External ID field {_objects.ExternalIdField} can never be excluded.",
                    $"Remove '{pattern.Pattern}' from {ShellAction.SyncFields.With(ActionParameter.ExcludeField)} (if it is a stored pattern, run {ShellAction.SyncFields.With(ActionParameter.ResetExclusions)} with the patterns to keep).",
                    pattern.Pattern);
        }
        return critical;
    }

    /// <summary>The columns of each table and which objects and types use them.</summary>
    private sealed class ColumnRegistry
    {
        private readonly HashSet<string> _personObjects;
        private readonly Dictionary<string, Dictionary<string, ColumnUse>> _tables = new(StringComparer.OrdinalIgnoreCase);

        public ColumnRegistry(IReadOnlyList<string> personObjects) =>
            _personObjects = new HashSet<string>(personObjects, StringComparer.OrdinalIgnoreCase);

        public void Seed(FieldCatalogEntry entry)
        {
            var columns = Table(entry.TableName);
            if (columns.TryGetValue(entry.ColumnName, out var use))
                use.Objects.Add(entry.ObjectName);
            else
                columns[entry.ColumnName] = new ColumnUse(FieldTypeMapping.ParseNativeType(entry.CrmType), entry.SqliteType, entry.ObjectName);
        }

        /// <summary>The column for a new field, and the object it shares the column with (null when not shared).</summary>
        public (string Column, string? SharedWith) Allocate(SyncedObject syncedObject, CrmFieldSchema field)
        {
            var columns = Table(syncedObject.TableName);
            var sqliteType = FieldTypeMapping.SqliteTypeOf(field.Type);
            if (columns.TryGetValue(field.Name, out var plain))
            {
                if (syncedObject.IsPerson && !plain.Objects.Contains(syncedObject.ObjectName) && plain.Objects.All(_personObjects.Contains)
                    && plain.SqliteType == sqliteType && FieldTypeMapping.AreCompatible(plain.Type, field.Type))
                {
                    plain.Objects.Add(syncedObject.ObjectName);
                    return (field.Name, plain.Objects.First(o => !string.Equals(o, syncedObject.ObjectName, StringComparison.OrdinalIgnoreCase)));
                }
            }
            else if (SqlIdentifier.IsValid(field.Name))
            {
                columns[field.Name] = new ColumnUse(field.Type, sqliteType, syncedObject.ObjectName);
                return (field.Name, null);
            }

            for (var n = 1; n <= MaxColumnSuffix; n++)
            {
                var candidate = $"{syncedObject.ObjectName}_{field.Name}" + (n == 1 ? "" : "_" + n.ToString(CultureInfo.InvariantCulture));
                if (!SqlIdentifier.IsValid(candidate) || columns.ContainsKey(candidate))
                    continue;
                columns[candidate] = new ColumnUse(field.Type, sqliteType, syncedObject.ObjectName);
                return (candidate, null);
            }
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidData,
                $"No valid local column name could be found for {syncedObject.ObjectName}.{field.Name} in table {syncedObject.TableName}.",
                $"Exclude the field with {ShellAction.SyncFields.With(ActionParameter.ExcludeField, $"{syncedObject.ObjectName}.{field.Name}")} and report the field name to the CrmSync maintainers.",
                $"{syncedObject.ObjectName}.{field.Name}");
        }

        private Dictionary<string, ColumnUse> Table(string name)
        {
            if (!_tables.TryGetValue(name, out var columns))
                _tables[name] = columns = new Dictionary<string, ColumnUse>(StringComparer.OrdinalIgnoreCase);
            return columns;
        }

        private sealed class ColumnUse(CrmFieldType type, SqliteColumnType sqliteType, string firstObject)
        {
            public CrmFieldType Type { get; } = type;
            public SqliteColumnType SqliteType { get; } = sqliteType;
            public HashSet<string> Objects { get; } = new(StringComparer.OrdinalIgnoreCase) { firstObject };
        }
    }
}

/// <summary>Compares (object, field) pairs case-insensitively, as both CRMs treat API names.</summary>
internal sealed class ObjectFieldComparer : IEqualityComparer<(string Object, string Field)>
{
    public static ObjectFieldComparer Instance { get; } = new();

    public bool Equals((string Object, string Field) x, (string Object, string Field) y) =>
        string.Equals(x.Object, y.Object, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Field, y.Field, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode((string Object, string Field) obj) =>
        HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Object), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Field));
}
