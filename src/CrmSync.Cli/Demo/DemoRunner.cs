using System.Diagnostics;
using System.Globalization;
using CrmSync.Engine;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using CrmSync.Cli.Demo.Dynamics;
using CrmSync.Cli.Demo.Salesforce;
using CrmSync.Cli.Output;
using Microsoft.Data.Sqlite;

namespace CrmSync.Cli.Demo;

/// <summary>What <c>crmsync demo</c> runs with.</summary>
/// <param name="Home">The data folder (CRMSYNC_HOME) of the demo profile.</param>
/// <param name="Profile">The profile name.</param>
/// <param name="EmulatorDll">CrmSync.Emulator.dll.</param>
/// <param name="Seed">The emulator's seed plan, e.g. <c>lead=3000,contact=1500</c>.</param>
/// <param name="Verbose">Write the engine's verbose messages.</param>
/// <param name="DatabasePath">The profile's database file when not the default one in <paramref name="Home"/>.</param>
/// <param name="Crm">The CRM the emulator is (<c>--crm</c>): Salesforce, or a Dynamics 365 org.</param>
public sealed record DemoOptions(string Home, string Profile, string EmulatorDll, string Seed, bool Verbose, string? DatabasePath = null,
    CrmKind Crm = CrmKind.Salesforce);

/// <summary>
/// The demo, step by step, through the engine's own commands: emulator (child process) → Connect (Process scope) →
/// Sync-CrmField → first cycle (initial copy) → CRM changes (admin API) and local SQL changes → second cycle (pull and push)
/// → status, a sample of local rows, and a count check of every synced object against the CRM. Throws
/// <see cref="CrmSyncException"/> on failure; returns normally only when every check passed.
/// </summary>
public sealed class DemoRunner
{
    private const int Steps = 9;
    private readonly DemoOptions _options;
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly object _gate = new();

    public DemoRunner(DemoOptions options, CliConsole console)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(console);
        _out = console.Output;
        _err = console.Error;
    }

    /// <summary>Runs the demo; the emulator is stopped in every case.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var connector = new ProfileConnector(new CrmSyncPaths(_options.Home));
        var location = connector.Profiles.Locator.Resolve(_options.Profile, _options.DatabasePath);
        if (File.Exists(location.DatabasePath))
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidArgument,
                $"The demo profile '{location.ProfileName}' already exists in {location.DatabasePath}; the demo starts from an empty database.",
                "Run the demo without --home (it uses a new temporary folder), or give a --home folder without that profile.", location.DatabasePath);

        var dynamics = _options.Crm == CrmKind.Dynamics;
        Step(1, $"Starting the CRM emulator{(dynamics ? " as a Dynamics 365 org (--crm dynamics)" : "")} with seeded data ({_options.Seed})");
        await using var emulator = await EmulatorProcess.StartAsync(_options.EmulatorDll, _options.Seed, "crmsync-demo", TimeSpan.FromSeconds(90), cancellationToken,
            dynamics).ConfigureAwait(false);
        Line($"      emulator at {emulator.Banner.BaseUrl} (dotnet {_options.EmulatorDll})");
        using var admin = new EmulatorAdminClient(emulator.Banner);
        using var dataverse = dynamics ? new DynamicsDemoOrg(emulator.Banner, this) : null;

        Step(2, $"Connecting profile '{_options.Profile}' (Connect-CrmSync -Scope Process; data folder {_options.Home})");
        var host = new DemoCommandHost(this);
        using (var request = dynamics ? DynamicsDemoOrg.ConnectionRequest(emulator.Banner, location) : new ConnectionRequest
               {
                   Profile = location.ProfileName,
                   DatabasePath = location.DatabasePath,
                   Scope = ConnectionScope.Process,
                   LoginUrl = emulator.Banner.BaseUrl,
                   Username = emulator.Banner.Username,
                   Password = SecretValue.Copy(emulator.Banner.Password),
                   SecurityToken = SecretValue.Copy(emulator.Banner.SecurityToken),
               })
        {
            var connect = new ConnectCommand(connector, request);
            await connect.ExecuteAsync(host, cancellationToken).ConfigureAwait(false);
            Line($"      signed in as {connect.Result!.UserName} (org {connect.Result.OrganizationId}), API {connect.Result.ApiVersion}");
        }

        using var store = connector.Profiles.Open(location.ProfileName, location.DatabasePath);

        Step(3, "Syncing the fields (Sync-CrmField, confirmed)");
        FieldSyncResult applied;
        using (var client = await connector.OpenClientAsync(store, new CrmClientOptions(), cancellationToken).ConfigureAwait(false))
        {
            var fields = new SyncFieldsCommand(connector.Profiles, new SyncFieldsOptions { Profile = location.ProfileName, DatabasePath = location.DatabasePath },
                client.Schema);
            await fields.ExecuteAsync(host, cancellationToken).ConfigureAwait(false);
            applied = fields.Result ?? throw Failed("Sync-CrmField created no fields.");
        }
        Line($"      {applied.TablesCreated.Count} tables, {applied.ColumnsAdded.Count} columns, {applied.FieldsCatalogued} fields catalogued");

        Step(4, "Starting the sync: the first cycle copies every synced object (Start-CrmSync)");
        var first = await CycleAsync(connector, location, cancellationToken).ConfigureAwait(false);
        WriteCounts(first);

        Step(5, "Changing records in the CRM and in the local database");
        var touched = dataverse is null ? await ChangeAsync(store, admin, cancellationToken).ConfigureAwait(false) : null;
        if (dataverse is not null)
            await dataverse.ChangeAsync(store, cancellationToken).ConfigureAwait(false);

        Step(6, "Syncing again (the next cycle pulls the CRM's changes and pushes the local ones)");
        var second = await CycleAsync(connector, location, cancellationToken).ConfigureAwait(false);
        foreach (var warning in second.Warnings)
            Warn(warning);
        if (dataverse is not null)
            await dataverse.CheckChangesAsync(store, cancellationToken).ConfigureAwait(false);
        else
            await CheckChangesAsync(store, admin, touched!, cancellationToken).ConfigureAwait(false);

        Step(7, $"The status (crmsync status --profile {location.ProfileName}, Get-CrmSyncStatus): the last cycle's counts per object and operation");
        var statusHost = new DemoCommandHost(this);
        await new CommandHandlers(name => name == CrmSyncPaths.HomeVariable ? _options.Home : null).Status(location.ProfileName, location.DatabasePath)
            .ExecuteAsync(statusHost, cancellationToken).ConfigureAwait(false);
        foreach (var status in statusHost.Objects)
        {
            using var text = new StringWriter(CultureInfo.InvariantCulture);
            Output.TextOutput.Write(text, status);
            foreach (var line in text.ToString().TrimEnd().Split('\n'))
                Line(("      " + line).TrimEnd());
        }

        Step(8, "Local rows (SELECT FROM person, the rows the demo touched)");
        if (dataverse is not null)
            dataverse.WriteSample(store);
        else
            WriteSample(store, touched!);

        Step(9, "Checking that the local database matches the CRM (live records per object)");
        if (dataverse is not null)
            await dataverse.CheckCountsAsync(store, cancellationToken).ConfigureAwait(false);
        else
            await CheckCountsAsync(store, admin, cancellationToken).ConfigureAwait(false);

        Line("");
        Line($"Demo complete in {total.Elapsed.TotalSeconds:0.0} s: the local database matches the CRM.");
        Line($"The database:  {store.DatabasePath}");
        Line($"  open it:     sqlite3 \"{store.DatabasePath}\" \"SELECT _crm_type, {(dynamics ? "firstname, lastname, emailaddress1, jobtitle" : "FirstName, LastName, Email, Title")} FROM person LIMIT 10;\"");
        Line($"  its status:  CRMSYNC_HOME=\"{_options.Home}\" crmsync status --profile {location.ProfileName}{(location.IsExplicitPath ? $" --database \"{store.DatabasePath}\"" : "")}");
        Line("The emulator stops now (its data was in memory); the local database stays.");
    }

    /// <summary>One Start-CrmSync (<see cref="StartSyncCommand"/>, as <c>crmsync start</c> runs it): the first one confirms and locks the mappings.</summary>
    private async Task<SyncRunResult> CycleAsync(ProfileConnector connector, ProfileLocation location, CancellationToken cancellationToken)
    {
        var start = new StartSyncCommand(connector.Profiles,
            new StartSyncOptions { Profile = location.ProfileName, DatabasePath = location.DatabasePath, TriggeredBy = "crmsync demo" },
            connector.OpenClientAsync);
        await start.ExecuteAsync(new DemoCommandHost(this), cancellationToken).ConfigureAwait(false);
        var result = start.Results.LastOrDefault() ?? throw Failed("Start-CrmSync ran no cycle.");
        if (result.State != RunState.Succeeded)
            throw result.Error ?? Failed($"The sync cycle ended {result.State}.");
        Line($"      {result.Kind} cycle {result.State} in {result.Duration.TotalSeconds:0.0} s, {result.ApiCalls} API calls");
        return result;
    }

    private async Task<DemoTouched> ChangeAsync(CrmSyncStore store, EmulatorAdminClient admin, CancellationToken cancellationToken)
    {
        var leads = Ids(store, PersonKind.Lead, 6);
        var contacts = Ids(store, PersonKind.Contact, 2);
        if (leads.Count < 6 || contacts.Count < 2)
            throw Failed("The seeded data has too few leads or contacts for the demo (it needs 6 leads and 2 contacts).");

        for (var i = 0; i < 3; i++)
            await admin.UpdateAsync(SalesforceDemoOrg.Lead, leads[i], new { Title = $"Director of Demos {i + 1}", Rating = "Hot" }, cancellationToken).ConfigureAwait(false);
        Line($"      CRM: updated 3 leads ({string.Join(", ", leads.Take(3))}): Title, Rating");
        await admin.DeleteAsync(SalesforceDemoOrg.Lead, leads[3], cancellationToken).ConfigureAwait(false);
        Line($"      CRM: deleted lead {leads[3]}");
        var contact = await admin.ConvertAsync(leads[4], cancellationToken).ConfigureAwait(false);
        Line($"      CRM: converted lead {leads[4]} into contact {contact}");
        await admin.MergeAsync(SalesforceDemoOrg.Contact, contacts[0], contacts[1], cancellationToken).ConfigureAwait(false);
        Line($"      CRM: merged contact {contacts[1]} into {contacts[0]}");
        var added = await admin.CreateAsync(SalesforceDemoOrg.Lead, new { FirstName = "Grace", LastName = "Hopper", Company = "Compilers Inc", Email = "grace.hopper@example.com" },
            cancellationToken).ConfigureAwait(false);
        Line($"      CRM: added lead {added} (Grace Hopper)");

        const string localTitle = "Head of Demos (set with SQL)";
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "PRAGMA busy_timeout = 5000;" +
                "UPDATE person SET Title = $title WHERE _crm_id = $id;" +
                "INSERT INTO person (FirstName, LastName, Email, Company) VALUES ('Ada', 'Lovelace', 'ada.lovelace@example.com', 'Analytical Engines');";
            command.Parameters.AddWithValue("$title", localTitle);
            command.Parameters.AddWithValue("$id", leads[5]);
            command.ExecuteNonQuery();
        }
        Line($"      SQL: UPDATE person SET Title = '{localTitle}' WHERE _crm_id = '{leads[5]}';");
        Line("      SQL: INSERT INTO person (FirstName, LastName, Email, Company) VALUES ('Ada', 'Lovelace', 'ada.lovelace@example.com', 'Analytical Engines');");
        return new DemoTouched(leads.Take(3).ToList(), leads[3], leads[4], contact, contacts[0], contacts[1], added, leads[5], localTitle, "ada.lovelace@example.com");
    }

    private async Task CheckChangesAsync(CrmSyncStore store, EmulatorAdminClient admin, DemoTouched touched, CancellationToken cancellationToken)
    {
        using var connection = store.OpenConnection();
        foreach (var id in touched.UpdatedLeads)
            Expect(Equals(Scalar(connection, "SELECT Rating FROM person WHERE _crm_id = $id", id), "Hot"), $"the CRM update of lead {id} reached the local database");
        Expect(Equals(Scalar(connection, "SELECT _crm_is_deleted FROM person WHERE _crm_id = $id", touched.DeletedLead), 1L),
            $"the deleted lead {touched.DeletedLead} is marked _crm_is_deleted = 1 (and kept)");
        Expect(Equals(Scalar(connection, "SELECT _crm_type FROM person WHERE _crm_id = $id", touched.ConvertedContact), PersonKind.Contact)
               && Equals(Scalar(connection, "SELECT count(*) FROM person WHERE _crm_id = $id", touched.ConvertedLead), 0L),
            $"the converted lead is one person, now contact {touched.ConvertedContact}");
        Expect(Equals(Scalar(connection, "SELECT _merged_into FROM person WHERE _crm_id = $id", touched.MergedLoser), touched.MergedWinner),
            $"the merged contact {touched.MergedLoser} points to the winner {touched.MergedWinner}");
        Expect(Equals(Scalar(connection, "SELECT count(*) FROM person WHERE _crm_id = $id", touched.AddedLead), 1L), $"the CRM's new lead {touched.AddedLead} was copied");

        var pushed = await admin.GetAsync(SalesforceDemoOrg.Lead, touched.LocallyUpdatedLead, cancellationToken).ConfigureAwait(false);
        Expect(pushed?["Title"]?.GetValue<string>() == touched.LocalTitle, $"the SQL UPDATE reached the CRM (lead {touched.LocallyUpdatedLead} Title)");
        var insertedId = Scalar(connection, "SELECT _crm_id FROM person WHERE Email = $id", touched.InsertedEmail) as string;
        Expect(insertedId is not null && await admin.GetAsync(SalesforceDemoOrg.Lead, insertedId, cancellationToken).ConfigureAwait(false) is not null,
            $"the SQL INSERT created lead {insertedId ?? "(none)"} in the CRM");
    }

    private void WriteSample(CrmSyncStore store, DemoTouched touched)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        var ids = touched.UpdatedLeads.Concat([touched.DeletedLead, touched.ConvertedContact, touched.MergedWinner, touched.MergedLoser, touched.AddedLead,
            touched.LocallyUpdatedLead]).ToList();
        var names = ids.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        command.CommandText =
            "SELECT _row_id, _crm_id, _crm_type, _crm_is_deleted, _merged_into, FirstName, LastName, Title FROM person " +
            $"WHERE _crm_id IN ({string.Join(", ", names)}) OR _merged_into IN ({string.Join(", ", names)}) OR Email = $email ORDER BY _row_id";
        for (var i = 0; i < ids.Count; i++)
            command.Parameters.AddWithValue(names[i], ids[i]);
        command.Parameters.AddWithValue("$email", touched.InsertedEmail);
        Line($"      {"_row_id",7}  {"_crm_id",-18}  {"_crm_type",-9}  {"deleted",7}  {"_merged_into",-18}  {"name",-24}  Title");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            string Text(int i) => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
            var name = (Text(5) + " " + Text(6)).Trim();
            Line($"      {Text(0),7}  {Text(1),-18}  {Text(2),-9}  {Text(3),7}  {Text(4),-18}  {Truncate(name, 24),-24}  {Text(7)}");
        }
    }

    private async Task CheckCountsAsync(CrmSyncStore store, EmulatorAdminClient admin, CancellationToken cancellationToken)
    {
        var objects = store.FieldCatalog.List().Select(e => (e.ObjectName, e.TableName)).Distinct().OrderBy(o => o.ObjectName, StringComparer.Ordinal).ToList();
        using var connection = store.OpenConnection();
        var mismatches = new List<string>();
        Line($"      {"object",-24} {"CRM",8} {"local",8}");
        foreach (var (objectName, table) in objects)
        {
            var soql = SalesforceDemoOrg.CountQuery(objectName);
            var where = table == "person" ? $" AND _crm_type = '{objectName}'" : "";
            var crm = await admin.CountAsync(soql, cancellationToken).ConfigureAwait(false);
            var local = (long)Scalar(connection, $"SELECT count(*) FROM \"{table}\" WHERE _crm_id IS NOT NULL AND _crm_is_deleted = 0{where}", null)!;
            var same = crm == local;
            if (!same)
                mismatches.Add($"{objectName} (CRM {crm}, local {local})");
            Line($"      {objectName,-24} {crm,8} {local,8}  {(same ? "ok" : "MISMATCH")}");
        }
        if (mismatches.Count > 0)
            throw Failed("The local database does not match the CRM: " + string.Join(", ", mismatches) + ".");
        Line($"      local matches CRM: {objects.Count} objects, every count equal");
    }

    internal static List<string> Ids(CrmSyncStore store, string type, int count)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT _crm_id FROM person WHERE _crm_type = $type AND _crm_is_deleted = 0 AND _crm_id IS NOT NULL ORDER BY _row_id LIMIT $count";
        command.Parameters.AddWithValue("$type", type);
        command.Parameters.AddWithValue("$count", count);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    internal static object? Scalar(SqliteConnection connection, string sql, string? id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (id is not null)
            command.Parameters.AddWithValue("$id", id);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    internal void Expect(bool condition, string what)
    {
        if (!condition)
            throw Failed("Check failed: " + what + ".");
        Line($"      ok: {what}");
    }

    private void WriteCounts(SyncRunResult result)
    {
        var rows = result.Counts.Where(c => c.New + c.Updated + c.Deleted + c.Failed + c.Skipped + c.Filtered > 0)
            .OrderBy(c => c.ObjectName, StringComparer.Ordinal).ThenBy(c => c.Operation).ToList();
        Line($"      {"object",-24} {"operation",-16} {"New",7} {"Updated",8} {"Deleted",8} {"Failed",7} {"Skipped",8} {"Filtered",9}");
        foreach (var c in rows)
            Line($"      {c.ObjectName,-24} {c.Operation,-16} {c.New,7} {c.Updated,8} {c.Deleted,8} {c.Failed,7} {c.Skipped,8} {c.Filtered,9}");
        foreach (var warning in result.Warnings)
            Warn(warning);
    }

    internal static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    internal static CrmSyncException Failed(string message) => new(ErrorIds.UnexpectedError, ErrorKind.NotSpecified, message,
        "Run the demo again with --verbose; if it fails again, report it with this output.");

    private void Step(int number, string text) => Line($"[{number}/{Steps}] {text}");

    internal void Line(string text)
    {
        lock (_gate)
        {
            _out.WriteLine(text);
            _out.Flush();
        }
    }

    internal void Warn(string text)
    {
        lock (_gate)
            _err.WriteLine("WARNING: " + text);
    }

    internal void Verbose(string text)
    {
        if (!_options.Verbose)
            return;
        lock (_gate)
            _err.WriteLine("VERBOSE: " + text);
    }

    private sealed record DemoTouched(IReadOnlyList<string> UpdatedLeads, string DeletedLead, string ConvertedLead, string ConvertedContact,
        string MergedWinner, string MergedLoser, string AddedLead, string LocallyUpdatedLead, string LocalTitle, string InsertedEmail);

    /// <summary>Runs the engine's commands for the demo: confirms, writes warnings and (with --verbose) verbose text; results are shown by the demo itself.</summary>
    private sealed class DemoCommandHost(DemoRunner demo) : ICommandHost
    {
        public bool ShouldProcess(string target, string action)
        {
            demo.Line($"      confirmed: {Truncate(action, 150)}");
            return true;
        }

        private readonly Dictionary<string, (int Quarter, string Status)> _shown = [];
        private readonly Dictionary<string, long> _unknown = [];

        /// <summary>Start-CrmSync's progress: one line per object and phase at each quarter reached and at the end.</summary>
        public void WriteProgress(ProgressInfo progress)
        {
            if (progress.Completed || progress.ActivityId != StartSyncCommand.ProgressActivityId)
                return;
            var of = progress.Status.IndexOf(':', StringComparison.Ordinal);
            var key = of > 0 ? progress.Status[..of] : progress.Status;
            if (progress.PercentComplete < 0)
            {
                // No total known (Dynamics reads pages without a count): the first page of each object, then at most one line a second.
                var now = Stopwatch.GetTimestamp();
                lock (_unknown)
                {
                    if (_unknown.TryGetValue(key, out var shown) && Stopwatch.GetElapsedTime(shown, now) < TimeSpan.FromSeconds(1))
                        return;
                    _unknown[key] = now;
                }
                demo.Line($"      {progress.Status}");
                return;
            }
            var quarter = progress.PercentComplete / 25;
            lock (_shown)
            {
                if (_shown.TryGetValue(key, out var last) && (quarter < last.Quarter || (quarter == last.Quarter && (quarter < 4 || progress.Status == last.Status))))
                    return;
                _shown[key] = (quarter, progress.Status);
            }
            demo.Line($"      {progress.Status} ({progress.PercentComplete}%)");
        }

        public void WriteVerbose(string message) => demo.Verbose(ConsoleCommandHost.Render(message));

        public void WriteWarning(string message) => demo.Warn(ConsoleCommandHost.Render(message));

        public void WriteDebug(string message)
        {
        }

        /// <summary>The objects the command wrote.</summary>
        public List<object> Objects { get; } = [];

        public void WriteObject(object value)
        {
            lock (Objects)
                Objects.Add(value);
        }

        public void WriteError(CrmSyncException error) => demo.Warn($"{error.ErrorId}: {ConsoleCommandHost.Render(error.Message)}");
    }
}
