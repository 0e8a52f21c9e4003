using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CrmSync.Engine;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;

namespace CrmSync.Cli.Demo.Dynamics;

/// <summary>
/// The emulator's Dynamics 365 org (<c>--crm dynamics</c>) as <c>crmsync demo --crm dynamics</c> drives it: CRM-side changes
/// through the Dataverse admin API (<c>/_emulator/dynamics</c>, made as the org's second user), and the reads that check the
/// local copy through the Web API as the sync user (password grant). The one place of the CLI that names Dataverse tables
/// and columns (the sync itself reads them from the provider).
/// </summary>
internal sealed class DynamicsDemoOrg : IDisposable
{
    /// <summary>The sync filter field the demo profile is connected with.</summary>
    public const string SyncFilterField = "new_synctomkto";

    private const string LocalTitle = "Head of Demos (set with SQL)";
    private const string InsertedEmail = "ada.lovelace@example.com";
    private const string YesToNoTitle = "Changed after Yes to No (not synced)";
    private readonly EmulatorHttp _http;
    private readonly EmulatorBanner _banner;
    private readonly DemoRunner _demo;
    private string? _accessToken;
    private Touched? _touched;

    public DynamicsDemoOrg(EmulatorBanner banner, DemoRunner demo)
    {
        _banner = banner ?? throw new ArgumentNullException(nameof(banner));
        _demo = demo ?? throw new ArgumentNullException(nameof(demo));
        _http = new EmulatorHttp(banner.BaseUrl, "the emulator's Dynamics org");
    }

    /// <summary>Connect-CrmSync -Crm Dynamics -Url … -Credential … -SyncFilterField new_synctomkto -Scope Process against the emulator's org.</summary>
    public static ConnectionRequest ConnectionRequest(EmulatorBanner banner, ProfileLocation location) => new()
    {
        Crm = CrmKind.Dynamics,
        Profile = location.ProfileName,
        DatabasePath = location.DatabasePath,
        Scope = ConnectionScope.Process,
        Url = banner.BaseUrl,
        LoginUrl = banner.BaseUrl,
        TenantId = banner.TenantId,
        Username = banner.Username,
        Password = SecretValue.Copy(banner.Password),
        SyncFilterField = SyncFilterField,
    };

    /// <summary>Step 5: updates, a delete, a QualifyLead, a contact merge, the sync filter both ways, a new lead; then SQL on the local side.</summary>
    public async Task ChangeAsync(CrmSyncStore store, CancellationToken cancellationToken)
    {
        // Leads with Yes (a QualifyLead copies the lead's filter to the contact; an empty one becomes the field's default, No).
        var crmLeads = await ListAsync("leads", "leadid", cancellationToken).ConfigureAwait(false);
        var yes = crmLeads.Where(r => r[SyncFilterField]?.GetValue<bool>() == true).Select(r => Id(r, "leadid")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var leads = DemoRunner.Ids(store, PersonKind.Lead, int.MaxValue).Where(yes.Contains).Take(7).ToList();
        var contacts = DemoRunner.Ids(store, PersonKind.Contact, 2);
        if (leads.Count < 7 || contacts.Count < 2)
            throw DemoRunner.Failed("The seeded data has too few leads or contacts for the demo (it needs 7 leads with new_synctomkto Yes and 2 contacts).");
        var local = LocalIds(store, PersonKind.Lead);
        var hidden = crmLeads
            .Where(r => r[SyncFilterField]?.GetValue<bool>() == false && !local.Contains(Id(r, "leadid")))
            .Select(r => Id(r, "leadid")).FirstOrDefault()
            ?? throw DemoRunner.Failed("The seeded data has no lead with an explicit No on new_synctomkto (seed with filterno=1 or more).");

        for (var i = 0; i < 3; i++)
            await SendAsync(HttpMethod.Patch, $"records/lead/{leads[i]}", new JsonObject { ["jobtitle"] = $"Director of Demos {i + 1}" }, cancellationToken).ConfigureAwait(false);
        _demo.Line($"      CRM: updated 3 leads ({string.Join(", ", leads.Take(3))}): jobtitle");
        await SendAsync(HttpMethod.Delete, $"records/lead/{leads[3]}", null, cancellationToken).ConfigureAwait(false);
        _demo.Line($"      CRM: deleted lead {leads[3]}");
        var qualified = await SendAsync(HttpMethod.Post, "qualify", new JsonObject { ["leadId"] = leads[4], ["createContact"] = true }, cancellationToken).ConfigureAwait(false);
        var contact = qualified?["contactid"]?.GetValue<string>() ?? throw DemoRunner.Failed("QualifyLead created no contact.");
        _demo.Line($"      CRM: qualified lead {leads[4]} into contact {contact}");
        await SendAsync(HttpMethod.Post, "merge", new JsonObject { ["entity"] = "contact", ["targetId"] = contacts[0], ["subordinateId"] = contacts[1] }, cancellationToken)
            .ConfigureAwait(false);
        _demo.Line($"      CRM: merged contact {contacts[1]} into {contacts[0]}");
        await SendAsync(HttpMethod.Patch, $"records/lead/{hidden}", new JsonObject { [SyncFilterField] = true }, cancellationToken).ConfigureAwait(false);
        _demo.Line($"      CRM: set {SyncFilterField} No -> Yes on lead {hidden} (never synced before)");
        await SendAsync(HttpMethod.Patch, $"records/lead/{leads[5]}", new JsonObject { [SyncFilterField] = false, ["jobtitle"] = YesToNoTitle }, cancellationToken)
            .ConfigureAwait(false);
        _demo.Line($"      CRM: set {SyncFilterField} Yes -> No on lead {leads[5]} (and changed its jobtitle)");
        var added = (await SendAsync(HttpMethod.Post, "records/lead", new JsonObject
        {
            ["firstname"] = "Grace", ["lastname"] = "Hopper", ["companyname"] = "Compilers Inc", ["emailaddress1"] = "grace.hopper@example.com", [SyncFilterField] = true,
        }, cancellationToken).ConfigureAwait(false))!["id"]!.GetValue<string>();
        _demo.Line($"      CRM: added lead {added} (Grace Hopper)");

        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "PRAGMA busy_timeout = 5000;" +
                "UPDATE person SET jobtitle = $title WHERE _crm_id = $id;" +
                $"INSERT INTO person (firstname, lastname, emailaddress1, companyname) VALUES ('Ada', 'Lovelace', '{InsertedEmail}', 'Analytical Engines');";
            command.Parameters.AddWithValue("$title", LocalTitle);
            command.Parameters.AddWithValue("$id", leads[6]);
            command.ExecuteNonQuery();
        }
        _demo.Line($"      SQL: UPDATE person SET jobtitle = '{LocalTitle}' WHERE _crm_id = '{leads[6]}';");
        _demo.Line($"      SQL: INSERT INTO person (firstname, lastname, emailaddress1, companyname) VALUES ('Ada', 'Lovelace', '{InsertedEmail}', 'Analytical Engines');");
        _touched = new Touched(leads.Take(3).ToList(), leads[3], leads[4], contact, contacts[0], contacts[1], hidden, leads[5], added, leads[6]);
    }

    /// <summary>Step 6's checks: each change arrived where it should, and the filter kept out what it should.</summary>
    public async Task CheckChangesAsync(CrmSyncStore store, CancellationToken cancellationToken)
    {
        var t = _touched ?? throw DemoRunner.Failed("The demo made no changes.");
        using var connection = store.OpenConnection();
        for (var i = 0; i < t.UpdatedLeads.Count; i++)
            _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT jobtitle FROM person WHERE _crm_id = $id", t.UpdatedLeads[i]), $"Director of Demos {i + 1}"),
                $"the CRM update of lead {t.UpdatedLeads[i]} reached the local database");
        _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT _crm_is_deleted FROM person WHERE _crm_id = $id", t.DeletedLead), 1L),
            $"the deleted lead {t.DeletedLead} is marked _crm_is_deleted = 1 (and kept)");
        _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT _crm_type FROM person WHERE _crm_id = $id", t.QualifiedContact), PersonKind.Contact)
                     && Equals(DemoRunner.Scalar(connection, "SELECT count(*) FROM person WHERE _crm_id = $id", t.QualifiedLead), 0L),
            $"the qualified lead is one person, now contact {t.QualifiedContact}");
        _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT _merged_into FROM person WHERE _crm_id = $id", t.MergedLoser), t.MergedWinner),
            $"the merged contact {t.MergedLoser} points to the winner {t.MergedWinner}");
        _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT count(*) FROM person WHERE _crm_id = $id AND _crm_is_deleted = 0", t.NoToYesLead), 1L),
            $"the lead set No -> Yes ({t.NoToYesLead}) was copied");
        _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT _crm_is_deleted FROM person WHERE _crm_id = $id", t.YesToNoLead), 0L)
                     && !Equals(DemoRunner.Scalar(connection, "SELECT jobtitle FROM person WHERE _crm_id = $id", t.YesToNoLead), YesToNoTitle),
            $"the lead set Yes -> No ({t.YesToNoLead}) stays, not deleted and not updated (Filtered)");
        _demo.Expect(Equals(DemoRunner.Scalar(connection, "SELECT count(*) FROM person WHERE _crm_id = $id", t.AddedLead), 1L), $"the CRM's new lead {t.AddedLead} was copied");

        var pushed = await GetAsync("lead", t.LocallyUpdatedLead, cancellationToken).ConfigureAwait(false);
        _demo.Expect(pushed?["jobtitle"]?.GetValue<string>() == LocalTitle, $"the SQL UPDATE reached the CRM (lead {t.LocallyUpdatedLead} jobtitle)");
        var insertedId = DemoRunner.Scalar(connection, "SELECT _crm_id FROM person WHERE emailaddress1 = $id", InsertedEmail) as string;
        _demo.Expect(insertedId is not null && await GetAsync("lead", insertedId, cancellationToken).ConfigureAwait(false) is not null,
            $"the SQL INSERT created lead {insertedId ?? "(none)"} in the CRM");
    }

    /// <summary>Step 8: the rows the demo touched.</summary>
    public void WriteSample(CrmSyncStore store)
    {
        var t = _touched ?? throw DemoRunner.Failed("The demo made no changes.");
        var ids = t.UpdatedLeads.Concat([t.DeletedLead, t.QualifiedContact, t.MergedWinner, t.MergedLoser, t.NoToYesLead, t.YesToNoLead, t.AddedLead, t.LocallyUpdatedLead]).ToList();
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        var names = ids.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        command.CommandText =
            "SELECT _row_id, _crm_id, _crm_type, _crm_is_deleted, _merged_into, firstname, lastname, jobtitle FROM person " +
            $"WHERE _crm_id IN ({string.Join(", ", names)}) OR _merged_into IN ({string.Join(", ", names)}) OR emailaddress1 = $email ORDER BY _row_id";
        for (var i = 0; i < ids.Count; i++)
            command.Parameters.AddWithValue(names[i], ids[i]);
        command.Parameters.AddWithValue("$email", InsertedEmail);
        _demo.Line($"      {"_row_id",7}  {"_crm_id",-36}  {"_crm_type",-9}  {"deleted",7}  {"_merged_into",-36}  {"name",-24}  jobtitle");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            string Text(int i) => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
            var name = (Text(5) + " " + Text(6)).Trim();
            _demo.Line($"      {Text(0),7}  {Text(1),-36}  {Text(2),-9}  {Text(3),7}  {Text(4),-36}  {DemoRunner.Truncate(name, 24),-24}  {Text(7)}");
        }
    }

    /// <summary>
    /// Step 9: every synced object has as many live records locally as in the CRM. Tables with the sync filter field are read
    /// through the Web API: a qualified lead is its contact, a merged record is not live, and a record with an explicit No is
    /// expected locally only when it was synced before (Yes → No leaves it stale); the other tables by the org's counts.
    /// </summary>
    public async Task CheckCountsAsync(CrmSyncStore store, CancellationToken cancellationToken)
    {
        var catalog = store.FieldCatalog.List();
        var objects = catalog.Select(e => (e.ObjectName, e.TableName)).Distinct().OrderBy(o => o.ObjectName, StringComparer.Ordinal).ToList();
        var filtered = catalog.Where(e => e.FieldName == SyncFilterField).Select(e => e.ObjectName).ToHashSet(StringComparer.Ordinal);
        var contacts = await ListAsync("contacts", "contactid,merged,_originatingleadid_value", cancellationToken).ConfigureAwait(false);
        var qualifiedInto = contacts.Select(c => c["_originatingleadid_value"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var info = await SendAsync(HttpMethod.Get, "info", null, cancellationToken).ConfigureAwait(false);
        using var connection = store.OpenConnection();
        var mismatches = new List<string>();
        _demo.Line($"      {"object",-24} {"CRM",8} {"local",8}");
        foreach (var (objectName, table) in objects)
        {
            var kind = objectName == "lead" ? PersonKind.Lead : PersonKind.Contact;
            var where = table == "person" ? $" AND _crm_type = '{kind}'" : "";
            var local = (long)DemoRunner.Scalar(connection, $"SELECT count(*) FROM \"{table}\" WHERE _crm_id IS NOT NULL AND _crm_is_deleted = 0{where}", null)!;
            long crm;
            if (filtered.Contains(objectName))
            {
                var (set, key) = await EntitySetAsync(objectName, cancellationToken).ConfigureAwait(false);
                var rows = objectName == "contact" ? contacts
                    : await ListAsync(set, objectName == "lead" ? $"{key},statecode" : key, cancellationToken).ConfigureAwait(false);
                var localIds = LocalIds(connection, table, where);
                crm = rows
                    .Where(r => !(objectName == "lead" && r["statecode"]?.GetValue<int>() == 1 && qualifiedInto.Contains(Id(r, key))))
                    .Where(r => r["merged"]?.GetValue<bool>() != true)
                    .Count(r => r[SyncFilterField]?.GetValue<bool>() != false || localIds.Contains(Id(r, key)));
            }
            else
                crm = info?["counts"]?[objectName]?.GetValue<long>() ?? -1;
            var same = crm == local;
            if (!same)
                mismatches.Add($"{objectName} (CRM {crm}, local {local})");
            _demo.Line($"      {objectName,-24} {crm,8} {local,8}  {(same ? "ok" : "MISMATCH")}");
        }
        if (mismatches.Count > 0)
            throw DemoRunner.Failed("The local database does not match the CRM: " + string.Join(", ", mismatches) + ".");
        _demo.Line($"      local matches CRM: {objects.Count} objects, every count equal (records with an explicit No on {SyncFilterField} that never synced are not expected locally)");
    }

    /// <summary>An entity's Web API set name and primary id column, from its metadata.</summary>
    private async Task<(string Set, string Key)> EntitySetAsync(string logicalName, CancellationToken cancellationToken)
    {
        var definition = await GetWebApiAsync($"/api/data/v9.2/EntityDefinitions(LogicalName='{logicalName}')?$select=EntitySetName,PrimaryIdAttribute", cancellationToken)
            .ConfigureAwait(false);
        return (definition["EntitySetName"]!.GetValue<string>(), definition["PrimaryIdAttribute"]!.GetValue<string>());
    }

    private static string Id(JsonNode record, string key) => record[key]!.GetValue<string>();

    private static HashSet<string> LocalIds(CrmSyncStore store, string kind)
    {
        using var connection = store.OpenConnection();
        return LocalIds(connection, "person", $" AND _crm_type = '{kind}'");
    }

    private static HashSet<string> LocalIds(SqliteConnection connection, string table, string where)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT _crm_id FROM \"{table}\" WHERE _crm_is_deleted = 0 AND _crm_id IS NOT NULL{where}";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    private async Task<JsonNode> GetWebApiAsync(string path, CancellationToken cancellationToken)
    {
        var token = await AccessTokenAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.RelativeOrAbsolute));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Prefer", "odata.maxpagesize=5000");
        return JsonNode.Parse(await _http.SendAsync(request, "GET " + path, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Every row of an entity set through the Web API (as the sync user), with <paramref name="select"/> and the filter field.</summary>
    private async Task<List<JsonNode>> ListAsync(string entitySet, string select, CancellationToken cancellationToken)
    {
        var rows = new List<JsonNode>();
        var next = $"/api/data/v9.2/{entitySet}?$select={select},{SyncFilterField}";
        while (next is not null)
        {
            var page = await GetWebApiAsync(next, cancellationToken).ConfigureAwait(false);
            rows.AddRange(page["value"]!.AsArray().OfType<JsonNode>());
            next = page["@odata.nextLink"]?.GetValue<string>();
        }
        return rows;
    }

    private Task<JsonObject?> GetAsync(string entity, string id, CancellationToken cancellationToken) =>
        _http.GetOrNullAsync($"/_emulator/dynamics/records/{entity}/{id}", cancellationToken);

    private async Task<string> AccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_accessToken is not null)
            return _accessToken;
        _accessToken = await _http.AccessTokenAsync($"/{_banner.TenantId}/oauth2/v2.0/token", new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = _banner.ClientId,
            ["client_secret"] = _banner.ClientSecret,
            ["username"] = _banner.Username,
            ["password"] = _banner.Password,
            ["scope"] = _banner.BaseUrl.GetLeftPart(UriPartial.Authority) + "/.default",
        }, "the emulator's Entra sign-in", cancellationToken).ConfigureAwait(false);
        return _accessToken;
    }

    private Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken) =>
        _http.SendJsonAsync(method, "/_emulator/dynamics/" + path, body, cancellationToken);

    public void Dispose() => _http.Dispose();

    private sealed record Touched(IReadOnlyList<string> UpdatedLeads, string DeletedLead, string QualifiedLead, string QualifiedContact, string MergedWinner,
        string MergedLoser, string NoToYesLead, string YesToNoLead, string AddedLead, string LocallyUpdatedLead);
}
