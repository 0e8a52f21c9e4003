using System.Globalization;
using System.Text;

namespace CrmSync.Engine.Schema;

/// <summary>
/// The plan of one Sync-CrmField run: per (object, field) what happens, the tables used, the skipped objects and the
/// effective exclusion patterns. Built by <see cref="FieldSyncPlanner"/>; applied by <see cref="FieldSyncApplier"/>.
/// </summary>
public sealed class FieldSyncPlan
{
    internal FieldSyncPlan(
        IReadOnlyList<FieldPlanEntry> entries,
        IReadOnlyList<PlannedTable> tables,
        IReadOnlyList<SkippedObject> skippedObjects,
        FieldExclusionSet exclusions,
        bool storesExclusions,
        CrmSchemaSnapshot snapshot,
        FieldExclusionSet givenExclusions,
        bool resetExclusions)
    {
        Entries = entries;
        Tables = tables;
        SkippedObjects = skippedObjects;
        Exclusions = exclusions;
        StoresExclusions = storesExclusions;
        Snapshot = snapshot;
        GivenExclusions = givenExclusions;
        ResetExclusions = resetExclusions;
    }

    /// <summary>One entry per field, in object order (person objects first), then field order.</summary>
    public IReadOnlyList<FieldPlanEntry> Entries { get; }

    /// <summary>The tables of the described objects; <see cref="PlannedTable.Exists"/> false for the ones the plan creates.</summary>
    public IReadOnlyList<PlannedTable> Tables { get; }

    /// <summary>Synced objects that were not described (not visible to the sync user, ...).</summary>
    public IReadOnlyList<SkippedObject> SkippedObjects { get; }

    /// <summary>The exclusion patterns in effect (stored ones plus the given ones, or only the given ones on reset).</summary>
    public FieldExclusionSet Exclusions { get; }

    /// <summary>True when confirming stores a different set of exclusion patterns in the profile.</summary>
    public bool StoresExclusions { get; }

    /// <summary>Fields the sync needs that a wildcard -ExcludeField pattern matched and that are kept anyway ("Lead.Id ('Lead.*')").</summary>
    public IReadOnlyList<string> ProtectedFromExclusion { get; init; } = [];

    /// <summary>The field selection in effect (-Field patterns: the remembered ones plus the given ones); empty: every field is selected.</summary>
    public FieldExclusionSet Selection { get; init; } = FieldExclusionSet.Empty;

    /// <summary>True when confirming stores a different field selection in the profile.</summary>
    public bool StoresSelection { get; init; }

    internal FieldExclusionSet GivenSelection { get; init; } = FieldExclusionSet.Empty;
    internal bool ResetSelection { get; init; }

    /// <summary>Fields created before (Exists or TypeChanged) that the field selection in effect leaves out: their columns are
    /// kept and they keep syncing (creation is permanent). Empty when every field is selected.</summary>
    public IReadOnlyList<FieldPlanEntry> CreatedOutsideSelection { get; init; } = [];

    internal CrmSchemaSnapshot Snapshot { get; }
    internal FieldExclusionSet GivenExclusions { get; }
    internal bool ResetExclusions { get; }

    /// <summary>The entries with <paramref name="action"/>.</summary>
    public IReadOnlyList<FieldPlanEntry> With(FieldPlanAction action) => Entries.Where(e => e.Action == action).ToList();

    /// <summary>The tables the plan creates.</summary>
    public IReadOnlyList<PlannedTable> NewTables => Tables.Where(t => !t.Exists).ToList();

    /// <summary>True when confirming creates permanent tables or columns (a backup is taken first).</summary>
    public bool CreatesSchema => NewTables.Count > 0 || Entries.Any(e => e.Action == FieldPlanAction.Create);

    /// <summary>True when confirming changes anything at all.</summary>
    public bool HasChanges => CreatesSchema || StoresExclusions || StoresSelection || Entries.Any(e => e.ChangesDatabase);

    /// <summary>
    /// A one-paragraph summary for the confirmation prompt, e.g. "Create 143 permanent fields (they can never be
    /// deleted): Lead.Email → person.Email TEXT, ... and 133 more".
    /// </summary>
    public string Summarize(int maxListed = 10)
    {
        var parts = new List<string>();
        var creates = With(FieldPlanAction.Create);
        if (creates.Count > 0)
            parts.Add($"Create {Count(creates.Count, "permanent field")} (they can never be deleted)" +
                      (NewTables.Count > 0 ? $" and {Count(NewTables.Count, "table")} ({string.Join(", ", NewTables.Select(t => t.Name))})" : "") +
                      ": " + List(creates, maxListed));
        else if (NewTables.Count > 0)
            parts.Add($"Create {Count(NewTables.Count, "permanent table")} ({string.Join(", ", NewTables.Select(t => t.Name))})");
        var orphaned = Entries.Where(e => e.Action == FieldPlanAction.Orphaned && e.ChangesDatabase).ToList();
        if (orphaned.Count > 0)
            parts.Add($"mark {Count(orphaned.Count, "field")} orphaned (columns kept, no longer synced): {List(orphaned, maxListed)}");
        var restored = With(FieldPlanAction.Restored);
        if (restored.Count > 0)
            parts.Add($"sync {Count(restored.Count, "orphaned field")} again: {List(restored, maxListed)}");
        var changed = Entries.Where(e => e.Action == FieldPlanAction.TypeChanged && e.ChangesDatabase).ToList();
        if (changed.Count > 0)
            parts.Add($"record {Count(changed.Count, "type change")} (old columns kept): " +
                      string.Join(", ", changed.Take(maxListed).Select(e => $"{e.ObjectName}.{e.FieldName} {e.CreatedAsType} → {e.NativeType}")) +
                      More(changed.Count, maxListed));
        var mappings = Entries.Count(e => e.NeedsDefaultMapping && e.Action != FieldPlanAction.Create);
        if (mappings > 0)
            parts.Add($"add the default mapping of {Count(mappings, "existing field")}");
        if (StoresExclusions)
            parts.Add(Exclusions.Patterns.Count == 0
                ? "clear the stored exclusion patterns"
                : $"store the exclusion patterns {string.Join(", ", Exclusions.PatternTexts.Select(p => "'" + p + "'"))}");
        if (StoresSelection)
            parts.Add(Selection.Patterns.Count == 0
                ? "clear the remembered field selection (every field the sync user can see is selected again and created by this and every later run)"
                : $"remember the field selection {string.Join(", ", Selection.PatternTexts.Select(p => "'" + p + "'"))} " +
                  "(only matching fields and the fields the sync needs are created from now on; fields created before are kept: creation is permanent" +
                  (CreatedOutsideSelection.Count > 0 ? $"; {Count(CreatedOutsideSelection.Count, "created field")} outside it keep their columns and keep syncing" : "") + ")");
        if (parts.Count == 0)
            return "Nothing to change.";
        var text = new StringBuilder(string.Join("; ", parts));
        text[0] = char.ToUpperInvariant(text[0]);
        if (CreatesSchema)
            text.Append(". The database is backed up first");
        return text.Append('.').ToString();
    }

    /// <summary>A fingerprint of what applying would do, to detect a database that changed between plan and apply.</summary>
    internal string Signature() =>
        string.Join("\n", Entries.Select(e => string.Join("|", e.ObjectName, e.FieldName, e.Action, e.Table, e.Column, e.ChangesDatabase, e.NeedsDefaultMapping)))
        + "\n" + string.Join(",", Tables.Select(t => t.Name + ":" + t.Exists)) + "\n" + StoresExclusions + "\n" + StoresSelection;

    private static string List(IReadOnlyList<FieldPlanEntry> entries, int max) =>
        string.Join(", ", entries.Take(max).Select(e => e.Describe())) + More(entries.Count, max);

    private static string More(int count, int max) => count > max ? $", and {(count - max).ToString(CultureInfo.InvariantCulture)} more" : "";

    private static string Count(int count, string noun) => count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");
}
