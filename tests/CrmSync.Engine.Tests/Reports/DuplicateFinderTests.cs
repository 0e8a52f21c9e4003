using CrmSync.Engine.Shell;
using CrmSync.Engine.Commands;
using CrmSync.Engine.Reports;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Reports;

public sealed class DuplicateFinderTests
{
    private static FakeCommandHost Find(ReportTestContext ctx, FindDuplicateOptions? options = null, FakeCommandHost? host = null, CancellationToken cancellationToken = default) =>
        ctx.Run(new FindDuplicateCommand(ctx.Profiles, options ?? new FindDuplicateOptions()), host, cancellationToken);

    private static IReadOnlyList<CrmDuplicateGroup> Groups(ReportTestContext ctx, FindDuplicateOptions? options = null) =>
        Find(ctx, options).OutputOf<CrmDuplicateGroup>();

    [Fact]
    public void Same_email_groups_case_and_white_space_variants_and_ignores_empty_addresses()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        var a = ctx.Person(email: " Ann@Example.com ", first: "Ann", last: "Lee", company: "Acme", crmId: "00Q000000000001AAA", modstamp: "2026-11-01T08:00:00.0000000Z");
        var b = ctx.Person(email: "ann@example.COM", first: "Annie", last: "Lee", company: "Other", type: "Contact", crmId: "003000000000001AAA");
        var c = ctx.Person(email: "ann@example.com\t", last: "Smith", company: "Third", type: null);
        ctx.Person(email: "bob@example.com", last: "Bob", company: "Bob Co");
        ctx.Person(email: "", last: "Empty1", company: "E1");
        ctx.Person(email: "   ", last: "Empty2", company: "E2");
        ctx.Person(last: "NoMail1", company: "N1");
        ctx.Person(last: "NoMail2", company: "N2");

        var groups = Groups(ctx, new FindDuplicateOptions { Rule = CrmDuplicateRuleSelection.Email });

        var group = Assert.Single(groups);
        Assert.Equal(("default", CrmDuplicateRule.Email, "ann@example.com", 3), (group.Profile, group.Rule, group.Key, group.Count));
        Assert.Equal([a, b, c], group.Members.Select(m => m.RowId));
        var first = group.Members[0];
        Assert.Equal(("Lead", "00Q000000000001AAA", " Ann@Example.com ", "Ann", "Lee", "Acme"),
            (first.CrmType, first.CrmId, first.Email, first.FirstName, first.LastName, first.Company));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero), first.CrmModifiedAt);
        Assert.Null(group.Members[2].CrmType);
        Assert.Null(group.Members[2].CrmModifiedAt);
    }

    [Fact]
    public void Same_name_and_company_groups_leads_and_contacts_through_their_account_name()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        ctx.Insert("account", ("_crm_id", "001000000000001AAA"), ("Name", "ACME Inc"));
        ctx.Insert("account", ("_crm_id", "001000000000002AAA"), ("Name", "Globex"));
        var lead1 = ctx.Person(email: "j1@x.example", first: "Jane", last: "Doe", company: "Acme  Inc");
        var lead2 = ctx.Person(email: "j2@x.example", first: " jane ", last: "DOE", company: " acme inc ");
        var contact = ctx.Person(email: "j3@x.example", first: "Jane", last: "Doe", type: "Contact", crmId: "003000000000001AAA", accountId: "001000000000001AAA");
        // a converted contact keeps a stale lead Company: its account decides
        ctx.Person(email: "j4@x.example", first: "Jane", last: "Doe", company: "Acme Inc", type: "Contact", crmId: "003000000000002AAA", accountId: "001000000000002AAA");
        // a contact whose account is not known locally and who has no Company: skipped by this rule
        ctx.Person(email: "j5@x.example", first: "Jane", last: "Doe", type: "Contact", crmId: "003000000000003AAA", accountId: "001000000000009AAA");
        // same name, other company; same company, other first name; no last name
        ctx.Person(email: "j6@x.example", first: "Jane", last: "Doe", company: "Initech");
        ctx.Person(email: "j7@x.example", first: "John", last: "Doe", company: "Acme Inc");
        ctx.Person(email: "j8@x.example", first: "Jane", company: "Acme Inc");
        ctx.Person(email: "j9@x.example", first: "Jane", company: "Acme Inc");

        var groups = Groups(ctx, new FindDuplicateOptions { Rule = CrmDuplicateRuleSelection.NameAndCompany });

        var group = Assert.Single(groups);
        Assert.Equal((CrmDuplicateRule.NameAndCompany, "jane doe|acme inc"), (group.Rule, group.Key));
        Assert.Equal([lead1, lead2, contact], group.Members.Select(m => m.RowId));
        Assert.Equal(["Acme  Inc", " acme inc ", "ACME Inc"], group.Members.Select(m => m.Company));
    }

    [Fact]
    public void Both_rules_stream_the_largest_groups_first()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        // e-mail group of 2, name group of 3 (the same three also share nothing else), e-mail group of 4
        ctx.Person(email: "pair@x.example", last: "P1", company: "C1");
        ctx.Person(email: "PAIR@x.example", last: "P2", company: "C2");
        for (var i = 0; i < 3; i++)
            ctx.Person(email: $"n{i}@x.example", first: "Max", last: "Power", company: "Power Co");
        for (var i = 0; i < 4; i++)
            ctx.Person(email: "four@x.example", last: "F" + i, company: "Four" + i);

        var groups = Groups(ctx);

        Assert.Equal([(CrmDuplicateRule.Email, "four@x.example", 4), (CrmDuplicateRule.NameAndCompany, "max power|power co", 3), (CrmDuplicateRule.Email, "pair@x.example", 2)],
            groups.Select(g => (g.Rule, g.Key, g.Count)));
    }

    [Fact]
    public void Deleted_and_merged_persons_are_left_out_unless_included()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        var live = ctx.Person(email: "x@x.example", last: "A", company: "A");
        var deleted = ctx.Person(email: "x@x.example", last: "B", company: "B", crmId: "00Q000000000001AAA", deleted: true);
        var merged = ctx.Person(email: "X@x.example", last: "C", company: "C", crmId: "00Q000000000002AAA", mergedInto: "00Q000000000009AAA");

        Assert.Empty(Groups(ctx));

        var group = Assert.Single(Groups(ctx, new FindDuplicateOptions { IncludeDeleted = true }));
        Assert.Equal([live, deleted, merged], group.Members.Select(m => m.RowId));
        Assert.Equal([false, true, false], group.Members.Select(m => m.IsDeletedInCrm));
        Assert.Equal("00Q000000000009AAA", group.Members[2].MergedInto);
    }

    [Fact]
    public void Object_narrows_to_one_crm_type_and_other_objects_are_refused()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        ctx.Person(email: "same@x.example", last: "L1", company: "C1", type: "Lead");
        ctx.Person(email: "same@x.example", last: "L2", company: "C2", type: "Lead");
        ctx.Person(email: "same@x.example", last: "K1", company: "C3", type: "Contact", crmId: "003000000000001AAA");

        Assert.Equal(3, Assert.Single(Groups(ctx, new FindDuplicateOptions { Object = "person" })).Count);
        Assert.Equal(2, Assert.Single(Groups(ctx, new FindDuplicateOptions { Object = "lead" })).Count);
        Assert.Empty(Groups(ctx, new FindDuplicateOptions { Object = "Contact" }));
        var refused = Assert.Throws<CrmSyncException>(() => Groups(ctx, new FindDuplicateOptions { Object = "Account" }));
        Assert.Equal(ErrorIds.InvalidArgument, refused.ErrorId);
    }

    [Fact]
    public void A_missing_email_column_skips_that_rule_with_a_warning()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields(exclude: ["Email"]);
        ctx.Person(first: "Ann", last: "Lee", company: "Acme");
        ctx.Person(first: "Ann", last: "Lee", company: "ACME");

        var host = Find(ctx);

        var warning = Assert.Single(host.Warnings);
        Assert.Contains("no Email column", warning);
        Assert.Contains("Email rule is skipped", warning);
        var group = Assert.Single(host.OutputOf<CrmDuplicateGroup>());
        Assert.Equal(CrmDuplicateRule.NameAndCompany, group.Rule);
        Assert.All(group.Members, m => Assert.Null(m.Email));
    }

    [Fact]
    public void A_missing_last_name_column_skips_the_name_rule_with_a_warning()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields(exclude: ["LastName"]);
        ctx.Person(email: "a@x.example", company: "Acme");
        ctx.Person(email: "A@x.example", company: "Acme");

        var host = Find(ctx);

        Assert.Contains("NameAndCompany rule is skipped", Assert.Single(host.Warnings));
        Assert.Equal(CrmDuplicateRule.Email, Assert.Single(host.OutputOf<CrmDuplicateGroup>()).Rule);

        // asking only for the name rule: the warning and nothing else
        var nameOnly = Find(ctx, new FindDuplicateOptions { Rule = CrmDuplicateRuleSelection.NameAndCompany });
        Assert.Single(nameOnly.Warnings);
        Assert.Empty(nameOnly.Output);
    }

    [Fact]
    public void Without_company_and_account_the_name_rule_is_skipped_and_without_account_table_leads_still_match()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields(withAccount: false);
        ctx.Person(first: "Ann", last: "Lee", company: "Acme", email: "1@x.example");
        ctx.Person(first: "Ann", last: "Lee", company: "Acme", email: "2@x.example");
        ctx.Person(first: "Ann", last: "Lee", type: "Contact", crmId: "003000000000001AAA", accountId: "001000000000001AAA", email: "3@x.example");

        var host = Find(ctx);

        Assert.Empty(host.Warnings);
        var group = Assert.Single(host.OutputOf<CrmDuplicateGroup>());
        Assert.Equal(("ann lee|acme", 2), (group.Key, group.Count));

        using var other = new ReportTestContext();
        other.SyncFields(exclude: ["Company"], withAccount: false);
        Assert.Contains("NameAndCompany rule is skipped", Assert.Single(Find(other).Warnings));
    }

    [Fact]
    public void A_profile_without_a_person_table_fails_with_fields_not_synced()
    {
        using var ctx = new ReportTestContext();

        var error = Assert.Throws<CrmSyncException>(() => Find(ctx));

        Assert.Equal(ErrorIds.FieldsNotSynced, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidOperation, error.Kind);
        Assert.StartsWith($"Run {ShellAction.SyncFields}", error.RecommendedAction);
        Assert.Equal("default", error.Target);
    }

    [Fact]
    public void An_unknown_profile_fails_with_profile_not_found()
    {
        using var ctx = new ReportTestContext();
        var error = Assert.Throws<CrmSyncException>(() => Find(ctx, new FindDuplicateOptions { Profile = "missing" }));
        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
        Assert.False(File.Exists(ctx.Home.Combine("profiles", "missing.db")));
    }

    [Fact]
    public void The_finder_never_writes_to_the_database()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        ctx.Insert("account", ("_crm_id", "001000000000001AAA"), ("Name", "Acme"));
        ctx.Person(email: "a@x.example", first: "Ann", last: "Lee", company: "Acme");
        ctx.Person(email: "A@X.example", first: "Ann", last: "Lee", type: "Contact", crmId: "003000000000001AAA", accountId: "001000000000001AAA");
        ctx.Settle();
        using var watcher = new DatabaseWriteWatcher(ctx);

        var groups = Groups(ctx, new FindDuplicateOptions { IncludeDeleted = true });

        Assert.Equal(2, groups.Count);
        watcher.AssertUnchanged();
    }

    [Fact]
    public void The_scan_connection_refuses_writes()
    {
        using var ctx = new ReportTestContext();
        using var store = ctx.Open();
        using var connection = ReadOnlyReportConnection.Open(store, CancellationToken.None);
        using var command = connection.Command("DELETE FROM crmsync_error;");
        var error = Assert.Throws<CrmSyncException>(() => connection.Run(command.ExecuteNonQuery));
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public void Large_scans_report_progress_and_complete_it()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        FillPersons(ctx, 20_000);

        var host = Find(ctx, new FindDuplicateOptions { ProgressThreshold = 5000 });

        Assert.Equal(10_000, host.OutputOf<CrmDuplicateGroup>().Count(g => g.Rule == CrmDuplicateRule.Email));
        Assert.True(host.Progress.Count >= 3);
        Assert.All(host.Progress, p => Assert.Equal(FindDuplicateCommand.ProgressActivityId, p.ActivityId));
        Assert.Contains(host.Progress, p => p.Status.StartsWith("Grouping persons by e-mail", StringComparison.Ordinal));
        Assert.Contains(host.Progress, p => p.Status.StartsWith("Grouping persons by name and company", StringComparison.Ordinal));
        Assert.True(host.Progress[^1].Completed);
        Assert.All(host.Progress.SkipLast(1), p => Assert.InRange(p.PercentComplete, 0, 99));

        // below the threshold: no progress at all
        Assert.Empty(Find(ctx, new FindDuplicateOptions { ProgressThreshold = 20_001 }).Progress);
    }

    [Fact]
    public void Cancellation_interrupts_the_scan()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        FillPersons(ctx, 20_000);

        using var before = new CancellationTokenSource();
        before.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Find(ctx, cancellationToken: before.Token));

        // cancelled while SQLite is grouping (from the first progress report, i.e. inside the query)
        using var during = new CancellationTokenSource();
        var host = new FakeCommandHost();
        var cancelling = new CancellingHost(host, during);
        var stopped = Assert.ThrowsAny<OperationCanceledException>(() =>
            new FindDuplicateCommand(ctx.Profiles, new FindDuplicateOptions { ProgressThreshold = 1 }).ExecuteAsync(cancelling, during.Token).GetAwaiter().GetResult());
        Assert.Equal(9, Assert.IsType<SqliteException>(stopped.InnerException).SqliteErrorCode); // SQLITE_INTERRUPT: stopped inside the statement
        Assert.Empty(host.Output);
        Assert.True(host.Progress[^1].Completed);
    }

    [Fact]
    public void Normalisation_trims_collapses_and_lowercases()
    {
        Assert.Equal("jean luc", PersonDuplicateFinder.Normalize("  Jean \t Luc\n"));
        Assert.Equal("émile@exemple.fr", PersonDuplicateFinder.Normalize("ÉMILE@Exemple.fr"));
        Assert.Null(PersonDuplicateFinder.Normalize(" \t "));
        Assert.Null(PersonDuplicateFinder.Normalize(null));
        Assert.Equal("doe|acme", PersonDuplicateFinder.PersonKey(null, "Doe", "ACME"));
        Assert.Equal("jane doe|acme", PersonDuplicateFinder.PersonKey("Jane", " doe", "acme "));
        Assert.Null(PersonDuplicateFinder.PersonKey("Jane", " ", "Acme"));
        Assert.Null(PersonDuplicateFinder.PersonKey("Jane", "Doe", null));
    }

    /// <summary><paramref name="count"/> persons in pairs sharing an e-mail address (different names), in one transaction.</summary>
    private static void FillPersons(ReportTestContext ctx, int count)
    {
        using var connection = ctx.Connect();
        using var tx = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "INSERT INTO person (_crm_type, Email, FirstName, LastName, Company) VALUES ('Lead', $email, 'F', $last, 'Co');";
        var email = command.Parameters.Add("$email", SqliteType.Text);
        var last = command.Parameters.Add("$last", SqliteType.Text);
        for (var i = 0; i < count; i++)
        {
            email.Value = $"p{i / 2}@x.example";
            last.Value = "L" + i;
            command.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Forwards to a <see cref="FakeCommandHost"/> and cancels on the first (non-final) progress report.</summary>
    private sealed class CancellingHost(FakeCommandHost inner, CancellationTokenSource cancel) : ICommandHost
    {
        public bool ShouldProcess(string target, string action) => inner.ShouldProcess(target, action);

        public void WriteProgress(ProgressInfo progress)
        {
            inner.WriteProgress(progress);
            if (!progress.Completed)
                cancel.Cancel();
        }

        public void WriteVerbose(string message) => inner.WriteVerbose(message);
        public void WriteWarning(string message) => inner.WriteWarning(message);
        public void WriteDebug(string message) => inner.WriteDebug(message);
        public void WriteObject(object value) => inner.WriteObject(value);
        public void WriteError(CrmSyncException error) => inner.WriteError(error);
    }
}

public sealed class DatabaseWriteWatcherTests
{
    [Fact]
    public void The_watcher_notices_a_committed_write()
    {
        using var ctx = new ReportTestContext();
        ctx.SyncFields();
        ctx.Settle();
        using var watcher = new DatabaseWriteWatcher(ctx);
        ctx.Person(email: "a@x.example", last: "A", company: "A");
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(watcher.AssertUnchanged);
    }
}
