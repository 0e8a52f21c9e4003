using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Push;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Sync-CrmField / <c>crmsync sync-field</c>.</summary>
public sealed record SyncFieldsOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>-ExcludeField wildcard patterns (<c>Object.Field</c> or <c>Field</c>); added to the patterns stored by earlier runs.</summary>
    public IReadOnlyList<string> ExcludeField { get; init; } = [];
    /// <summary>-Field wildcard patterns (include-only selection, same syntax as <see cref="ExcludeField"/>): only matching
    /// fields and the fields the sync needs are created; added to the selection remembered by earlier runs, which the
    /// schema refresh of every sync cycle applies too.</summary>
    public IReadOnlyList<string> Field { get; init; } = [];
    /// <summary>Replace the stored exclusion patterns by <see cref="ExcludeField"/> (none given: clear them).</summary>
    public bool ResetExclusions { get; init; }
    /// <summary>Replace the remembered field selection by <see cref="Field"/> (none given: clear it, so every field is
    /// selected again). Narrowing never drops a created field: fields created before keep their columns and keep syncing
    /// (creation is permanent, as with -ExcludeField); only fields not created yet are no longer created.</summary>
    public bool ResetFieldSelection { get; init; }
}

/// <summary>
/// Sync-CrmField (ConfirmImpact High) and <c>crmsync sync-field</c>: describes every synced object the sync user can see,
/// writes the plan (one <see cref="FieldPlanEntry"/> per field), and, after one ShouldProcess for the permanent part,
/// backs up the database and creates the tables, columns, catalog rows and default mappings in one transaction.
/// -WhatIf or a declined confirmation changes nothing at all (no backup, no table, no catalog row, no stored exclusion).
/// Warnings: skipped objects, newly orphaned fields, type changes. Errors (thrown, <see cref="CrmSyncException"/>):
/// InvalidArgument (a bad pattern), FieldExclusionRefused, ProfileNotFound, CrmObjectNotFound (neither Lead nor Contact
/// visible), FieldPlanStale, DatabaseLocked, CrmNotSupported, and the CRM client's own errors.
/// </summary>
public sealed class SyncFieldsCommand : ICommandHandler
{
    /// <summary>The activity id of the "Describing CRM objects" progress bar.</summary>
    public const int ProgressActivityId = 41;

    private readonly ProfileStore _profiles;
    private readonly Func<ProfileInfo, CancellationToken, Task<ICrmSchemaReader>> _connect;

    /// <summary>The command over <paramref name="profiles"/>; <paramref name="connect"/> builds the CRM schema reader from the saved profile (the caller owns and disposes what it builds).</summary>
    public SyncFieldsCommand(ProfileStore profiles, SyncFieldsOptions options, Func<ProfileInfo, CancellationToken, Task<ICrmSchemaReader>> connect)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _connect = connect ?? throw new ArgumentNullException(nameof(connect));
    }

    /// <summary>The command with an already connected <paramref name="reader"/>.</summary>
    public SyncFieldsCommand(ProfileStore profiles, SyncFieldsOptions options, ICrmSchemaReader reader)
        : this(profiles, options, (_, _) => Task.FromResult(reader ?? throw new ArgumentNullException(nameof(reader))))
    {
    }

    /// <summary>The options.</summary>
    public SyncFieldsOptions Options { get; }

    /// <summary>The plan of the last run (null before it got that far).</summary>
    public FieldSyncPlan? Plan { get; private set; }

    /// <summary>What the last run changed (null when nothing was applied: WhatIf, declined, nothing to do).</summary>
    public FieldSyncResult? Result { get; private set; }

    /// <inheritdoc />
    public async Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        Plan = null;
        Result = null;
        var given = FieldExclusionSet.Parse(Options.ExcludeField);
        var givenSelection = FieldExclusionSet.Parse(Options.Field, ActionParameter.Field);

        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read()!;
        CrmProviders.EnsureSyncAvailable(profile.Crm, profile.Name);
        var objects = SyncedObjectCatalog.For(profile.Crm);
        host.WriteVerbose($"Discovering the {profile.Crm} fields the sync user {profile.UserName} can see, for profile '{profile.Name}' ({store.DatabasePath}).");

        var reader = await _connect(profile, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException("The CRM connection factory returned no schema reader.");
        CrmSchemaSnapshot snapshot;
        try
        {
            snapshot = await new CrmSchemaDiscovery(reader, objects).DiscoverAsync(new HostProgress(host), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            host.WriteProgress(new ProgressInfo(ProgressActivityId, "Describing CRM objects", "Done", 100, Completed: true));
        }
        foreach (var skipped in snapshot.Skipped)
            host.WriteWarning($"{skipped.ObjectName} is skipped: {skipped.Reason}. Its fields are not created; grant the sync user access and run {ShellAction.SyncFields} again to add them.");

        cancellationToken.ThrowIfCancellationRequested();
        var plan = new FieldSyncPlanner(objects).Plan(snapshot, FieldSyncState.Read(store), given, Options.ResetExclusions, givenSelection, Options.ResetFieldSelection);
        Plan = plan;
        if (plan.ProtectedFromExclusion.Count > 0)
            host.WriteWarning($"The {ShellAction.SyncFields.With(ActionParameter.ExcludeField)} patterns do not apply to fields the sync itself needs; these are kept: " +
                              string.Join(", ", plan.ProtectedFromExclusion) + ".");
        // A pattern that matches nothing is most likely misspelt: say so before it is stored (it still applies to fields added later).
        foreach (var pattern in given.Patterns)
            if (!snapshot.Objects.Any(o => o.Schema.Fields.Any(f => pattern.Matches(o.Object.ObjectName, f.Name))))
                host.WriteWarning($"The {ShellAction.SyncFields.With(ActionParameter.ExcludeField)} pattern '{pattern.Pattern}' matches no field the sync user can see on " +
                                  $"{string.Join(", ", snapshot.Objects.Select(o => o.Object.ObjectName))}: check its spelling " +
                                  "(Object.Field or Field, wildcards * and ?). It is kept and applies to fields the CRM adds later.");
        foreach (var pattern in givenSelection.Patterns)
            if (!snapshot.Objects.Any(o => o.Schema.Fields.Any(f => pattern.Matches(o.Object.ObjectName, f.Name))))
                host.WriteWarning($"The {ShellAction.SyncFields.With(ActionParameter.Field)} pattern '{pattern.Pattern}' matches no field the sync user can see on " +
                                  $"{string.Join(", ", snapshot.Objects.Select(o => o.Object.ObjectName))}: check its spelling " +
                                  "(Object.Field or Field, wildcards * and ?). It is kept in the field selection and applies to fields the CRM adds later.");
        if (plan.StoresSelection && plan.CreatedOutsideSelection.Count > 0)
            host.WriteWarning($"{plan.CreatedOutsideSelection.Count} field(s) of profile '{profile.Name}' created before are outside the new " +
                              $"{ShellAction.SyncFields.Parameter(ActionParameter.Field)} selection: their columns are kept and they keep syncing (a created field is permanent); " +
                              $"only fields not created yet follow the selection. {ShellAction.SetMapping.With(ActionParameter.Disable)} stops one from syncing before the first start. " +
                              "Fields: " + string.Join(", ", plan.CreatedOutsideSelection.Take(10).Select(e => e.ObjectName + "." + e.FieldName)) +
                              (plan.CreatedOutsideSelection.Count > 10 ? $", and {plan.CreatedOutsideSelection.Count - 10} more." : "."));
        if (plan.Selection.Patterns.Count > 0)
            host.WriteVerbose($"Field selection of profile '{profile.Name}': {string.Join(", ", plan.Selection.PatternTexts.Select(p => "'" + p + "'"))}; " +
                              "other fields are not created (Action Excluded), except the fields the sync needs.");
        var described = new HashSet<string>(snapshot.Objects.Select(o => o.Object.ObjectName), StringComparer.OrdinalIgnoreCase);
        foreach (var entry in plan.Entries)
        {
            if (entry.Action == FieldPlanAction.Orphaned && entry.ChangesDatabase && described.Contains(entry.ObjectName))
                host.WriteWarning($"{entry.ObjectName}.{entry.FieldName} is gone from the CRM: {entry.Note}.");
            else if (entry.Action == FieldPlanAction.TypeChanged)
                host.WriteWarning($"{entry.ObjectName}.{entry.FieldName} changed type: {entry.Note}.");
            host.WriteObject(entry with { Profile = profile.Name, DatabasePath = store.DatabasePath });
        }
        // one warning per object that is no longer described, rather than one per field
        foreach (var group in plan.Entries.Where(e => e.Action == FieldPlanAction.Orphaned && e.ChangesDatabase && !described.Contains(e.ObjectName))
                     .GroupBy(e => e.ObjectName, StringComparer.OrdinalIgnoreCase))
            host.WriteWarning($"{group.Count()} fields of {group.Key} will be orphaned (columns kept, no longer synced): {group.First().Note}.");
        host.WriteVerbose(string.Join(", ", plan.Entries.GroupBy(e => e.Action).Select(g => $"{g.Key}: {g.Count()}")));

        if (!plan.HasChanges)
        {
            host.WriteVerbose($"The local database of profile '{profile.Name}' already has every visible field; nothing to change.");
            return;
        }
        var target = $"CrmSync profile '{profile.Name}' ({store.DatabasePath})";
        var summary = plan.Summarize();
        if (!host.ShouldProcess(new ShouldProcessRequest(target, summary, DescribeInFull(plan, target, summary),
                $"{summary}{Environment.NewLine}Apply this plan to {target}?", $"{ShellAction.SyncFields}: permanent change")))
        {
            host.WriteVerbose("Nothing was changed.");
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        var result = new FieldSyncApplier(store, objects).Apply(plan);
        Result = result;
        // Capture from the first moment: every local change of a synced two-way table reaches the outbox, also one made
        // before or while the first Start-CrmSync copies the data.
        ChangeCapture.Install(store, PushFieldMap.Read(store, objects));
        if (result.BackupPath is not null)
            host.WriteVerbose($"Backed up the database to {result.BackupPath} before creating fields.");
        host.WriteVerbose($"Created {result.TablesCreated.Count} tables and {result.ColumnsAdded.Count} columns, catalogued {result.FieldsCatalogued} fields, " +
                          $"orphaned {result.FieldsOrphaned}, recorded {result.TypeChangesRecorded} type changes, restored {result.FieldsRestored}, " +
                          $"added {result.MappingsAdded} default mappings.");
    }

    /// <summary>
    /// The -WhatIf text: the summary, then every field the plan changes, one per line and grouped by what happens to it,
    /// so that the list is exact however long it is (the summary names at most ten).
    /// </summary>
    internal static string DescribeInFull(FieldSyncPlan plan, string target, string summary)
    {
        var text = new System.Text.StringBuilder($"Performing the operation \"{summary}\" on target \"{target}\".");
        void Section(string heading, IEnumerable<FieldPlanEntry> entries, Func<FieldPlanEntry, string> line)
        {
            var list = entries.ToList();
            if (list.Count == 0)
                return;
            text.AppendLine().Append(heading).Append(" (").Append(list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("):");
            foreach (var entry in list)
                text.AppendLine().Append("  ").Append(line(entry));
        }
        foreach (var table in plan.NewTables)
            text.AppendLine().Append("New table: ").Append(table.Name);
        if (plan.Selection.Patterns.Count > 0)
            text.AppendLine().Append(plan.StoresSelection ? "Field selection to remember: " : "Remembered field selection: ")
                .Append(string.Join(", ", plan.Selection.PatternTexts.Select(p => "'" + p + "'")))
                .Append(". Only matching fields and the fields the sync needs are created, now and by every later schema refresh; ")
                .Append("fields created before are kept (creation is permanent: a field once created is never dropped).");
        else if (plan.StoresSelection)
            text.AppendLine().Append("Field selection to clear: every field the sync user can see is selected again, ")
                .Append("so this run and every later schema refresh create the fields the selection left out.");
        if (plan.StoresSelection)
            Section("Fields created before that the new selection leaves out (columns kept, still synced)", plan.CreatedOutsideSelection, e => e.Describe());
        Section("Fields to create", plan.Entries.Where(e => e.Action == FieldPlanAction.Create), e => e.Describe());
        Section("Orphaned fields to sync again", plan.Entries.Where(e => e.Action == FieldPlanAction.Restored), e => e.Describe());
        Section("Fields to mark orphaned (columns kept)", plan.Entries.Where(e => e.Action == FieldPlanAction.Orphaned && e.ChangesDatabase), e => e.Describe());
        Section("Type changes to record (old columns kept)", plan.Entries.Where(e => e.Action == FieldPlanAction.TypeChanged && e.ChangesDatabase),
            e => $"{e.ObjectName}.{e.FieldName} {e.CreatedAsType} → {e.NativeType}");
        return text.ToString();
    }

    private sealed class HostProgress(ICommandHost host) : IProgress<SchemaDiscoveryProgress>
    {
        public void Report(SchemaDiscoveryProgress value)
        {
            if (value.Done >= value.Total)
                return;
            host.WriteProgress(new ProgressInfo(ProgressActivityId, "Describing CRM objects",
                $"{value.ObjectName} ({value.Done + 1} of {value.Total})", value.Total == 0 ? -1 : value.Done * 100 / value.Total,
                CurrentOperation: value.ObjectName));
        }
    }
}
