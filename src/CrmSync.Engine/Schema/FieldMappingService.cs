using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Schema;

/// <summary>A field mapping as Get-CrmFieldMapping shows it: the stored mapping plus what the catalog knows of the field.</summary>
public sealed record CrmFieldMapping
{
    /// <summary>The profile the mapping belongs to.</summary>
    public required string Profile { get; init; }
    /// <summary>The CRM object, e.g. Contact.</summary>
    public required string ObjectName { get; init; }
    /// <summary>The CRM API field name.</summary>
    public required string FieldName { get; init; }
    /// <summary>The CRM type the field was created with (catalog).</summary>
    public required string CrmType { get; init; }
    /// <summary>The local table.</summary>
    public required string TableName { get; init; }
    /// <summary>The local column the field syncs with.</summary>
    public required string ColumnName { get; init; }
    /// <summary>The column's SQLite type.</summary>
    public required SqliteColumnType SqliteType { get; init; }
    /// <summary>Which side wins when both changed.</summary>
    public required FieldMappingRule Rule { get; init; }
    /// <summary>Which way values flow (follows from the rule and whether the field may be pushed).</summary>
    public required MappingDirection Direction { get; init; }
    /// <summary>False when the mapping is broken: the field does not sync; its column stays.</summary>
    public required bool Enabled { get; init; }
    /// <summary>The field is gone from the CRM (catalog): it does not sync whatever the mapping says.</summary>
    public required bool IsOrphaned { get; init; }
    /// <summary>True when values of this field are pushed to the CRM (two-way object, writable, not a formula).</summary>
    public required bool IsPushable { get; init; }

    /// <summary>True when the field takes part in the sync: enabled, rule not None, not orphaned.</summary>
    public bool IsSynced => Enabled && Rule != FieldMappingRule.None && !IsOrphaned;
}

/// <summary>One change to a mapping; null members stay as they are.</summary>
/// <param name="ObjectName">The CRM object.</param>
/// <param name="FieldName">The CRM field.</param>
public sealed record FieldMappingChange(string ObjectName, string FieldName)
{
    /// <summary>Another existing column of the same table, with a compatible type.</summary>
    public string? Column { get; init; }
    /// <summary>The conflict rule.</summary>
    public FieldMappingRule? Rule { get; init; }
    /// <summary>False breaks the mapping (the field stops syncing, the column stays); true restores it.</summary>
    public bool? Enabled { get; init; }
}

/// <summary>
/// The field mappings of a profile: list, the default mapping of new fields, edits, export to and import from a
/// reviewable JSON file, and the lock. As in Marketo, mappings can be changed only until the first Start-CrmSync; after
/// that every change fails with <see cref="ErrorIds.MappingLocked"/>. New fields discovered later still get their default
/// mapping (<see cref="FieldSyncApplier"/>).
/// <para>Rules and directions: TwoWay and PreferCrmUnlessBlank flow both ways, AlwaysLocal local to CRM, AlwaysCrm CRM to
/// local, None not at all. Rules that push (TwoWay, PreferCrmUnlessBlank, AlwaysLocal) are refused for one-way objects
/// and for fields the CRM does not let the sync user write (read-only, formula).</para>
/// </summary>
public sealed class FieldMappingService
{
    private readonly CrmSyncStore _store;
    private readonly SyncedObjectCatalog _objects;

    /// <summary>The mappings of <paramref name="store"/>; <paramref name="objects"/> defaults to the list of the profile's CRM.</summary>
    public FieldMappingService(CrmSyncStore store, SyncedObjectCatalog? objects = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _objects = objects ?? SyncedObjectCatalog.For(ReadProfile(null).Crm);
    }

    /// <summary>The default mapping of a new field: rule TwoWay for a two-way field, AlwaysCrm otherwise; enabled.</summary>
    public static FieldMapping DefaultMapping(string objectName, string fieldName, string tableName, string columnName, MappingDirection direction) =>
        new(objectName, fieldName, tableName, columnName,
            direction == MappingDirection.TwoWay ? FieldMappingRule.TwoWay : FieldMappingRule.AlwaysCrm,
            direction == MappingDirection.TwoWay ? MappingDirection.TwoWay : MappingDirection.CrmToLocal, Enabled: true);

    /// <summary>The direction a rule gives.</summary>
    public static MappingDirection DirectionOf(FieldMappingRule rule) => rule switch
    {
        FieldMappingRule.TwoWay or FieldMappingRule.PreferCrmUnlessBlank => MappingDirection.TwoWay,
        FieldMappingRule.AlwaysCrm => MappingDirection.CrmToLocal,
        FieldMappingRule.AlwaysLocal => MappingDirection.LocalToCrm,
        _ => MappingDirection.None,
    };

    /// <summary>True for rules under which local values are pushed to the CRM.</summary>
    public static bool Pushes(FieldMappingRule rule) =>
        rule is FieldMappingRule.TwoWay or FieldMappingRule.PreferCrmUnlessBlank or FieldMappingRule.AlwaysLocal;

    /// <summary>When the mappings were locked (first Start-CrmSync), or null while they can be changed.</summary>
    public DateTimeOffset? LockedAt(SqliteTransaction? transaction = null)
    {
        var profile = ReadProfile(transaction);
        return profile.MappingsLockedAt ?? profile.FirstStartedAt;
    }

    /// <summary>Locks the mappings (Start-CrmSync calls this at its first start); returns when they were locked (the first time wins).</summary>
    public DateTimeOffset LockMappings(SqliteTransaction? transaction = null) => _store.Profile.LockMappings(transaction);

    /// <summary>The mappings whose object and field match the wildcard patterns (none given: all), ordered by object and field.</summary>
    public IReadOnlyList<CrmFieldMapping> List(IEnumerable<string>? objectPatterns = null, IEnumerable<string>? fieldPatterns = null)
    {
        var objects = NameWildcard.Compile(objectPatterns);
        var fields = NameWildcard.Compile(fieldPatterns);
        var profile = ReadProfile(null).Name;
        var catalog = CatalogByField(null);
        return _store.FieldMappings.List()
            .Where(m => NameWildcard.MatchesAny(objects, m.ObjectName) && NameWildcard.MatchesAny(fields, m.FieldName))
            .Select(m => View(profile, m, catalog))
            .OrderBy(m => m.ObjectName, StringComparer.Ordinal).ThenBy(m => m.FieldName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The fields of <paramref name="objectName"/> that take part in the sync (enabled, rule not None, not orphaned): what pull and push use.</summary>
    public IReadOnlyList<CrmFieldMapping> ListSynced(string objectName) =>
        List([objectName]).Where(m => m.IsSynced && string.Equals(m.ObjectName, objectName, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>What <paramref name="change"/> would make of the mapping, validated but not saved.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.MappingLocked"/>, or <see cref="ErrorIds.MappingInvalid"/> naming the field.</exception>
    public CrmFieldMapping Preview(FieldMappingChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        ThrowIfLocked(null);
        var working = new MappingWorkingSet(this, null);
        var problem = working.Apply(change);
        problem ??= working.CheckColumnsUnique().FirstOrDefault();
        if (problem is not null)
            throw Invalid(problem, $"{change.ObjectName}.{change.FieldName}");
        return working.ViewOf(change.ObjectName, change.FieldName);
    }

    /// <summary>Applies <paramref name="change"/> and returns the mapping as saved.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.MappingLocked"/>, or <see cref="ErrorIds.MappingInvalid"/> naming the field.</exception>
    public CrmFieldMapping Set(FieldMappingChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _store.Write(null, (_, tx) =>
        {
            ThrowIfLocked(tx);
            var working = new MappingWorkingSet(this, tx);
            var problem = working.Apply(change);
            problem ??= working.CheckColumnsUnique().FirstOrDefault();
            if (problem is not null)
                throw Invalid(problem, $"{change.ObjectName}.{change.FieldName}");
            working.Save(tx);
            return working.ViewOf(change.ObjectName, change.FieldName);
        });
    }

    /// <summary>The whole mapping as a stable, indented JSON document (see <see cref="FieldMappingDocument"/>).</summary>
    public string ExportJson() => FieldMappingDocument.Write(ReadProfile(null), List());

    /// <summary>Writes <see cref="ExportJson"/> to <paramref name="path"/> (UTF-8, replacing the file).</summary>
    public void Export(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var json = ExportJson();
        try
        {
            File.WriteAllText(Path.GetFullPath(path), json, new System.Text.UTF8Encoding(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.WriteError,
                $"The mapping file '{path}' cannot be written: {e.Message}", "Give a path in a folder you can write to.", path, e);
        }
    }

    /// <summary>
    /// Validates a mapping document as a whole and returns the mappings it would change (nothing is saved). Mappings the
    /// document does not list stay as they are.
    /// </summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.MappingLocked"/>, or <see cref="ErrorIds.MappingInvalid"/> listing every problem by entry and object.field.</exception>
    public IReadOnlyList<CrmFieldMapping> PreviewImport(string json) => Import(json, save: false);

    /// <summary>Imports a mapping document: all or nothing. Returns the mappings that changed.</summary>
    /// <exception cref="CrmSyncException"><see cref="ErrorIds.MappingLocked"/>, or <see cref="ErrorIds.MappingInvalid"/> listing every problem.</exception>
    public IReadOnlyList<CrmFieldMapping> Import(string json) => Import(json, save: true);

    /// <summary>Reads a mapping file.</summary>
    public static string ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return File.ReadAllText(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CrmSyncException(ErrorIds.InvalidArgument, e is FileNotFoundException or DirectoryNotFoundException ? ErrorKind.ObjectNotFound : ErrorKind.ReadError,
                $"The mapping file '{path}' cannot be read: {e.Message}", $"Give the path of a file written by {ShellAction.ExportMapping.With(ActionParameter.Path)}.", path, e);
        }
    }

    private IReadOnlyList<CrmFieldMapping> Import(string json, bool save)
    {
        ArgumentNullException.ThrowIfNull(json);
        var document = FieldMappingDocument.Parse(json);
        return _store.Write(null, (_, tx) =>
        {
            ThrowIfLocked(tx);
            var working = new MappingWorkingSet(this, tx);
            var problems = new List<string>();
            string? firstBad = null; // the error's target: the first entry that has a problem, not merely the first entry
            var seen = new HashSet<(string, string)>(ObjectFieldComparer.Instance);
            foreach (var line in document.Lines)
            {
                var name = $"{line.ObjectName}.{line.FieldName}";
                if (!seen.Add((line.ObjectName, line.FieldName)))
                {
                    problems.Add($"entry {line.Number} ({name}): listed more than once");
                    firstBad ??= $"entry {line.Number} ({name})";
                    continue;
                }
                var problem = working.CheckLine(line) ?? working.Apply(line.Change);
                if (problem is null && line.Direction is { } direction && working.Find(line.ObjectName, line.FieldName) is { } after && after.Direction != direction)
                    problem = $"direction {direction} does not follow from rule {after.Rule} (it would be {after.Direction}); the direction is informational, change 'rule' instead";
                if (problem is not null)
                {
                    problems.Add($"entry {line.Number} ({name}): {problem}");
                    firstBad ??= $"entry {line.Number} ({name})";
                }
            }
            problems.AddRange(working.CheckColumnsUnique());
            if (problems.Count > 0)
                throw new CrmSyncException(ErrorIds.MappingInvalid, ErrorKind.InvalidData,
                    $"The mapping file is invalid; nothing was imported ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): " +
                    string.Join("; ", problems.Take(25)) + (problems.Count > 25 ? $"; and {problems.Count - 25} more" : "") + ".",
                    $"Correct the listed entries (export the current mapping with {ShellAction.ExportMapping.With(ActionParameter.Path)} to start from a valid file) and import again.",
                    firstBad);
            var changed = working.Changed();
            if (save)
                working.Save(tx);
            return changed;
        });
    }

    private void ThrowIfLocked(SqliteTransaction? transaction)
    {
        var profile = ReadProfile(transaction);
        var locked = profile.MappingsLockedAt ?? profile.FirstStartedAt;
        if (locked is not null)
            throw new CrmSyncException(ErrorIds.MappingLocked, ErrorKind.InvalidOperation,
                $"The field mappings of profile '{profile.Name}' are locked since {locked.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC: mappings can be " +
                $"reviewed and edited only until the first {ShellAction.Start}, just as in Marketo. New CRM fields still get their default mapping.",
                $"Keep the current mappings, or set up a new profile ({ShellAction.Connect.Profile("<name>")}) and edit its mappings before its first {ShellAction.Start}.",
                profile.Name);
    }

    private ProfileInfo ReadProfile(SqliteTransaction? transaction) =>
        _store.Profile.Read(transaction) ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {_store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", _store.DatabasePath);

    private CatalogIndex CatalogByField(SqliteTransaction? transaction) => new(_store.FieldCatalog.List(transaction: transaction));

    /// <summary>The catalog by (object, field) and by (table, column): the first field that created each column.</summary>
    private sealed class CatalogIndex : Dictionary<(string, string), FieldCatalogEntry>
    {
        private readonly Dictionary<(string, string), FieldCatalogEntry> _columns = new(ObjectFieldComparer.Instance);

        public CatalogIndex(IReadOnlyList<FieldCatalogEntry> entries) : base(ObjectFieldComparer.Instance)
        {
            foreach (var entry in entries)
            {
                TryAdd((entry.ObjectName, entry.FieldName), entry);
                _columns.TryAdd((entry.TableName, entry.ColumnName), entry);
            }
        }

        /// <summary>The catalog row that created <paramref name="table"/>.<paramref name="column"/>, or null.</summary>
        public FieldCatalogEntry? Column(string table, string column) => _columns.GetValueOrDefault((table, column));
    }

    private bool IsPushable(FieldCatalogEntry entry) =>
        FieldTypeMapping.DefaultDirection(_objects.ForCatalogObject(entry.ObjectName, entry.TableName).IsTwoWay,
            entry.IsCreateable, entry.IsUpdateable, entry.IsCalculated) == MappingDirection.TwoWay;

    private CrmFieldMapping View(string profile, FieldMapping mapping, CatalogIndex catalog)
    {
        var entry = catalog.GetValueOrDefault((mapping.ObjectName, mapping.FieldName));
        var column = catalog.Column(mapping.TableName, mapping.ColumnName);
        return new CrmFieldMapping
        {
            Profile = profile,
            ObjectName = mapping.ObjectName,
            FieldName = mapping.FieldName,
            CrmType = entry?.CrmType ?? "",
            TableName = mapping.TableName,
            ColumnName = mapping.ColumnName,
            SqliteType = column?.SqliteType ?? entry?.SqliteType ?? SqliteColumnType.Text,
            Rule = mapping.Rule,
            Direction = mapping.Direction,
            Enabled = mapping.Enabled,
            IsOrphaned = entry?.IsOrphaned ?? true,
            IsPushable = entry is not null && IsPushable(entry),
        };
    }

    private static CrmSyncException Invalid(string problem, string target) =>
        new(ErrorIds.MappingInvalid, ErrorKind.InvalidArgument, $"{target}: {problem}.",
            $"Check the object, field, column and rule with {ShellAction.GetFields} and {ShellAction.GetMapping}.", target);

    /// <summary>The mappings being edited, validated against the catalog, before they are saved.</summary>
    private sealed class MappingWorkingSet
    {
        private readonly FieldMappingService _service;
        private readonly string _profile;
        private readonly CatalogIndex _catalog;
        private readonly Dictionary<(string, string), FieldMapping> _original = new(ObjectFieldComparer.Instance);
        private readonly Dictionary<(string, string), FieldMapping> _current = new(ObjectFieldComparer.Instance);

        public MappingWorkingSet(FieldMappingService service, SqliteTransaction? transaction)
        {
            _service = service;
            _profile = service.ReadProfile(transaction).Name;
            _catalog = service.CatalogByField(transaction);
            foreach (var mapping in service._store.FieldMappings.List(transaction: transaction))
            {
                _original[(mapping.ObjectName, mapping.FieldName)] = mapping;
                _current[(mapping.ObjectName, mapping.FieldName)] = mapping;
            }
        }

        public FieldMapping? Find(string objectName, string fieldName) => _current.GetValueOrDefault((objectName, fieldName));

        /// <summary>Checks what an import line states beyond the change itself (table, CRM type). Null when fine.</summary>
        public string? CheckLine(FieldMappingDocument.Line line)
        {
            if (!_catalog.TryGetValue((line.ObjectName, line.FieldName), out var entry))
                return UnknownField(line.ObjectName, line.FieldName);
            if (!string.Equals(line.TableName, entry.TableName, StringComparison.OrdinalIgnoreCase))
                return $"table {line.TableName} is not the field's table {entry.TableName} (a field maps only to columns of its own table)";
            if (line.CrmType is not null && !string.Equals(line.CrmType, entry.CrmType, StringComparison.OrdinalIgnoreCase))
                return $"crmType {line.CrmType} differs from the catalogued type {entry.CrmType} (the file was exported from another database?)";
            return null;
        }

        /// <summary>Applies a change; returns the problem, or null.</summary>
        public string? Apply(FieldMappingChange change)
        {
            if (string.IsNullOrWhiteSpace(change.ObjectName) || string.IsNullOrWhiteSpace(change.FieldName))
                return "give the CRM object and field";
            if (!_catalog.TryGetValue((change.ObjectName, change.FieldName), out var entry))
                return UnknownField(change.ObjectName, change.FieldName);
            var mapping = _current.GetValueOrDefault((entry.ObjectName, entry.FieldName))
                          ?? DefaultMapping(entry.ObjectName, entry.FieldName, entry.TableName, entry.ColumnName,
                              _service.IsPushable(entry) ? MappingDirection.TwoWay : MappingDirection.CrmToLocal);

            if (change.Column is not null && !string.Equals(change.Column, mapping.ColumnName, StringComparison.Ordinal))
            {
                var target = _catalog.Column(entry.TableName, change.Column);
                if (target is null)
                    return $"{entry.TableName} has no column '{change.Column}' (a mapping can point only at an existing column of the same table; see {ShellAction.GetFields})";
                var fieldType = FieldTypeMapping.ParseNativeType(entry.CrmType);
                var columnType = FieldTypeMapping.ParseNativeType(target.CrmType);
                if (target.SqliteType != entry.SqliteType || !FieldTypeMapping.AreCompatible(fieldType, columnType))
                    return $"column {entry.TableName}.{target.ColumnName} holds {target.CrmType} values ({target.SqliteType.ToString().ToUpperInvariant()}), " +
                           $"which is not compatible with {entry.ObjectName}.{entry.FieldName} ({entry.CrmType}, {entry.SqliteType.ToString().ToUpperInvariant()})";
                mapping = mapping with { ColumnName = target.ColumnName };
            }
            if (change.Rule is { } rule)
            {
                if (Pushes(rule) && !_service.IsPushable(entry))
                    return $"rule {rule} pushes local values to the CRM, but {entry.ObjectName}.{entry.FieldName} is " +
                           (_service._objects.ForCatalogObject(entry.ObjectName, entry.TableName).IsTwoWay
                               ? "read-only for the sync user or a formula field"
                               : $"on {entry.ObjectName}, which syncs one way (CRM to local)") +
                           "; use AlwaysCrm or None";
                mapping = mapping with { Rule = rule, Direction = DirectionOf(rule) };
            }
            if (change.Enabled is { } enabled)
                mapping = mapping with { Enabled = enabled };
            _current[(entry.ObjectName, entry.FieldName)] = mapping;
            return null;
        }

        /// <summary>Problems where two enabled fields of one object write the same column.</summary>
        public IEnumerable<string> CheckColumnsUnique() =>
            _current.Values.Where(m => m.Enabled && m.Rule != FieldMappingRule.None)
                .GroupBy(m => (m.ObjectName.ToLowerInvariant(), m.TableName.ToLowerInvariant(), m.ColumnName.ToLowerInvariant()))
                .Where(g => g.Count() > 1)
                .Select(g => $"{string.Join(" and ", g.Select(m => m.ObjectName + "." + m.FieldName))} would both sync with column {g.First().TableName}.{g.First().ColumnName}; " +
                             "one object's fields need distinct columns");

        public IReadOnlyList<CrmFieldMapping> Changed() =>
            _current.Where(p => !_original.TryGetValue(p.Key, out var before) || before != p.Value)
                .Select(p => _service.View(_profile, p.Value, _catalog))
                .OrderBy(m => m.ObjectName, StringComparer.Ordinal).ThenBy(m => m.FieldName, StringComparer.Ordinal)
                .ToList();

        public CrmFieldMapping ViewOf(string objectName, string fieldName) => _service.View(_profile, _current[(objectName, fieldName)], _catalog);

        public void Save(SqliteTransaction tx)
        {
            foreach (var (key, mapping) in _current)
                if (!_original.TryGetValue(key, out var before) || before != mapping)
                    _service._store.FieldMappings.Save(mapping, tx);
        }

        private static string UnknownField(string objectName, string fieldName) =>
            $"{objectName}.{fieldName} is not a created field (run {ShellAction.SyncFields} to create the CRM's fields; {ShellAction.GetFields} lists them)";
    }
}
