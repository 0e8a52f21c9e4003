using System.Globalization;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Reports;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Commands;

/// <summary>The parameters of Find-CrmDuplicate / <c>crmsync duplicate</c>.</summary>
public sealed record FindDuplicateOptions
{
    /// <summary>The profile name.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>The profile's database file when not the default one.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>Email, NameAndCompany or All (default).</summary>
    public CrmDuplicateRuleSelection Rule { get; init; } = CrmDuplicateRuleSelection.All;
    /// <summary>Also compare persons deleted in the CRM and persons merged into another one (default: skip them).</summary>
    public bool IncludeDeleted { get; init; }
    /// <summary>
    /// Which persons to compare: null or "person" (default) compares leads, contacts and local persons with each other;
    /// a person kind (<see cref="PersonKind"/>: Lead or Contact) only persons of that kind. Other objects are not supported yet.
    /// </summary>
    public string? Object { get; init; }
    /// <summary>From how many persons on the scan shows progress.</summary>
    internal long ProgressThreshold { get; init; } = FindDuplicateCommand.DefaultProgressThreshold;
}

/// <summary>
/// Find-CrmDuplicate and <c>crmsync duplicate</c>: a read-only report of persons that look like duplicates, one
/// <see cref="CrmDuplicateGroup"/> per group, largest first (see <see cref="PersonDuplicateFinder"/> for the rules and
/// how a Contact's company is found). It never merges and never writes: the scan runs on a read-only connection.
/// Warnings: a rule skipped or narrowed because its columns were not created. Progress (activity
/// <see cref="ProgressActivityId"/>) from <see cref="DefaultProgressThreshold"/> persons on.
/// Errors (thrown): ProfileNotFound, InvalidProfileName, FieldsNotSynced (no person table: run Sync-CrmField),
/// InvalidArgument (an unsupported -Object), CrmNotSupported, DatabaseLocked, DatabaseCorrupt;
/// OperationCanceledException on cancellation (also in the middle of the scan).
/// </summary>
public sealed class FindDuplicateCommand : ICommandHandler
{
    /// <summary>The activity id of the "Finding duplicate persons" progress bar.</summary>
    public const int ProgressActivityId = 61;

    /// <summary>Persons from which on the scan reports progress.</summary>
    public const long DefaultProgressThreshold = 50_000;

    private const string Activity = "Finding duplicate persons";

    private readonly ProfileStore _profiles;

    /// <summary>The command over <paramref name="profiles"/>.</summary>
    public FindDuplicateCommand(ProfileStore profiles, FindDuplicateOptions options)
    {
        _profiles = profiles ?? throw new ArgumentNullException(nameof(profiles));
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The options.</summary>
    public FindDuplicateOptions Options { get; }

    /// <inheritdoc />
    public Task ExecuteAsync(ICommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        var search = new DuplicateSearch
        {
            Rule = Options.Rule,
            IncludeDeleted = Options.IncludeDeleted,
            CrmType = CrmTypeOf(Options.Object),
        };

        using var store = _profiles.Open(Options.Profile, Options.DatabasePath);
        var profile = store.Profile.Read()!.Name;
        host.WriteVerbose($"Looking for duplicate persons in profile '{profile}' ({store.DatabasePath}); rule {search.Rule}" +
                          (search.IncludeDeleted ? ", deleted and merged persons included" : "") +
                          (search.CrmType is null ? "." : $", {search.CrmType} persons only."));
        var progress = new HostProgress(host, Options.ProgressThreshold);
        var groups = 0;
        var persons = 0L;
        try
        {
            foreach (var group in new PersonDuplicateFinder(store, profile).Find(search, host.WriteWarning, progress, cancellationToken))
            {
                cancellationToken.ThrowIfCancellationRequested();
                host.WriteObject(group);
                groups++;
                persons += group.Count;
            }
        }
        finally
        {
            if (progress.Shown)
                host.WriteProgress(new ProgressInfo(ProgressActivityId, Activity, "Done", 100, Completed: true));
        }
        host.WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"{groups} duplicate group(s) with {persons} member(s) found."));
        return Task.CompletedTask;
    }

    private static string? CrmTypeOf(string? objectName)
    {
        if (string.IsNullOrWhiteSpace(objectName) || string.Equals(objectName.Trim(), SyncedObjectCatalog.PersonTable, StringComparison.OrdinalIgnoreCase))
            return null;
        foreach (var type in PersonKind.All)
            if (string.Equals(objectName.Trim(), type, StringComparison.OrdinalIgnoreCase))
                return type;
        throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
            $"{ShellAction.Duplicates} compares persons only; '{objectName}' is not supported.",
            $"Leave {ShellParameter.For(ActionParameter.Object)} out to compare all persons, or give Lead or Contact.", objectName);
    }

    /// <summary>Turns scan progress into host progress reports once the scan is large enough.</summary>
    private sealed class HostProgress(ICommandHost host, long threshold) : IProgress<DuplicateScanProgress>
    {
        public bool Shown { get; private set; }

        public void Report(DuplicateScanProgress value)
        {
            if (value.Persons < threshold)
                return;
            Shown = true;
            var percent = (int)Math.Clamp(value.RowsChecked * 100 / Math.Max(1, value.RowsToCheck), 0, 99);
            host.WriteProgress(new ProgressInfo(ProgressActivityId, Activity,
                string.Create(CultureInfo.InvariantCulture, $"{value.Phase}: {value.RowsChecked:N0} of about {value.RowsToCheck:N0} row checks"),
                percent));
        }
    }
}
