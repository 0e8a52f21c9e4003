using System.Net;
using System.Text.Json;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;
using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>Every recorded Salesforce response goes through the real parser, with assertions on what it must yield.</summary>
public sealed class SalesforceFixtureParsingTests
{
    private static readonly Uri Login = new("https://login.salesforce.com");

    private static JsonElement Json(string name) => JsonDocument.Parse(Fixtures.Text(name)).RootElement;

    private static readonly Dictionary<string, Action> Checks = new(StringComparer.Ordinal)
    {
        ["soap-login-response.xml"] = () =>
        {
            var r = SalesforceLogin.ParseSoapLoginResponse(HttpStatusCode.OK, "text/xml", Fixtures.Text("soap-login-response.xml"), Login);
            Assert.Equal("12345", r.AccessToken);
            Assert.Equal(new Uri("https://na15.salesforce.com"), r.InstanceUrl);
            Assert.Equal("005i0000002MUqLAAW", r.UserId);
            Assert.Equal("00Di0000000icUBEAY", r.OrganizationId);
            Assert.Equal("you@yourdomain.com", r.UserName);
            Assert.False(r.Sandbox);
            Assert.Equal(TimeSpan.FromSeconds(7200), r.SessionValidFor);
        },
        ["soap-login-fault-invalid-login.xml"] = () =>
        {
            var ex = Assert.Throws<CrmSyncException>(() =>
                SalesforceLogin.ParseSoapLoginResponse(HttpStatusCode.InternalServerError, "text/xml", Fixtures.Text("soap-login-fault-invalid-login.xml"), Login));
            Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
            Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("security token", ex.Message, StringComparison.OrdinalIgnoreCase);
        },
        ["soap-login-request.xml"] = () =>
        {
            // Our request has the recorded template's shape: the same envelope, namespace and elements, the token right after the password.
            using var password = SecretValue.Copy("secret");
            using var token = SecretValue.Copy("TKN");
            var ours = System.Xml.Linq.XDocument.Parse(System.Text.Encoding.UTF8.GetString(SalesforceLogin.BuildSoapLoginBody("u@example.com", password, token, "CrmSync")));
            var recorded = System.Xml.Linq.XDocument.Parse(Fixtures.Text("soap-login-request.xml"));
            static string[] Shape(System.Xml.Linq.XDocument d) => d.Descendants().Select(e => e.Name.ToString()).Where(n => !n.EndsWith("defaultNamespace")).ToArray();
            Assert.Equal(Shape(recorded), Shape(ours));
            Assert.Equal("secretTKN", ours.Descendants().Single(e => e.Name.LocalName == "password").Value);
        },
        ["oauth-token-success.json"] = () =>
        {
            var r = SalesforceLogin.ParseOAuthTokenResponse(HttpStatusCode.OK, "application/json", Fixtures.Text("oauth-token-success.json"), Login);
            Assert.StartsWith("00Dx0000000BV7z!", r.AccessToken);
            Assert.Equal(new Uri("https://na1.salesforce.com"), r.InstanceUrl);
            Assert.Equal("00Dx0000000BV7z", r.OrganizationId);
            Assert.Equal("005x00000012Q9P", r.UserId);
        },
        ["oauth-token-success-simple-salesforce.json"] = () =>
        {
            var r = SalesforceLogin.ParseOAuthTokenResponse(HttpStatusCode.OK, "application/json", Fixtures.Text("oauth-token-success-simple-salesforce.json"), Login);
            Assert.Equal("12345", r.AccessToken);
            Assert.Equal(new Uri("https://na15.salesforce.com"), r.InstanceUrl);
            Assert.Equal("00Di0000000icUB", r.OrganizationId);
        },
        ["oauth-token-error-invalid-grant.json"] = () =>
        {
            var ex = Assert.Throws<CrmSyncException>(() =>
                SalesforceLogin.ParseOAuthTokenResponse(HttpStatusCode.BadRequest, "application/json", Fixtures.Text("oauth-token-error-invalid-grant.json"), Login));
            Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
            Assert.Contains("security token", ex.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("consumer key", ex.Message, StringComparison.OrdinalIgnoreCase);
        },
        ["oauth-refresh-error.json"] = () =>
        {
            var ex = Assert.Throws<CrmSyncException>(() =>
                SalesforceLogin.ParseOAuthTokenResponse(HttpStatusCode.BadRequest, "application/json", Fixtures.Text("oauth-refresh-error.json"), Login));
            Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
            Assert.Contains("expired access/refresh token", ex.Message);
        },
        ["versions-list.json"] = () =>
        {
            var versions = SalesforceJson.ParseVersions(Json("versions-list.json"));
            Assert.Equal(["20.0", "100"], versions);
            Assert.Null(SalesforceApiVersion.Choose(versions)); // 20.0 is too old, 100 newer than we support
        },
        ["describe-global.json"] = () =>
        {
            var objects = SalesforceJson.ParseDescribeGlobal(Json("describe-global.json"));
            var account = Assert.Single(objects);
            Assert.Equal(new CrmObjectSummary("Account", "Account", false, true, true, true, true, true), account);
        },
        ["describe-custom-object-whizbang.json"] = () =>
        {
            var schema = SalesforceJson.ParseDescribe(Json("describe-custom-object-whizbang.json"));
            Assert.Equal("Whizbang", schema.Name);
            Assert.Equal("SystemModstamp", schema.ModificationStampField);
            Assert.Equal("IsDeleted", schema.DeletedFlagField);
            Assert.Null(schema.MergedIntoField);
            Assert.Equal(30, schema.Fields.Count);
            Assert.Equal(CrmFieldType.Reference, schema.FindField("ParentWhizbang__c")!.Type);
            Assert.True(schema.Custom);
            Assert.True(schema.SupportsChangeTracking);
            Assert.Equal(CrmFieldType.Id, schema.FindField("Id")!.Type);
            var owner = schema.FindField("ownerid")!;
            Assert.Equal(CrmFieldType.Reference, owner.Type);
            Assert.Equal(["Group", "User"], owner.ReferenceTo);
            Assert.True(owner.Updateable);
            Assert.Equal(CrmFieldType.Currency, schema.FindField("Currency_Field")!.Type);
            Assert.Equal(18, schema.FindField("Currency_Field")!.Precision);
            Assert.Equal(CrmFieldType.Date, schema.FindField("Date_Field")!.Type);
            Assert.Equal(CrmFieldType.DateTime, schema.FindField("DateTime_Field")!.Type);
            Assert.Equal(CrmFieldType.Percent, schema.FindField("Percent_Field")!.Type);
            Assert.Equal(CrmFieldType.MultiPicklist, schema.FindField("Picklist_Multiselect_Field")!.Type);
            var pick = schema.FindField("Picklist_Field")!;
            Assert.Equal(CrmFieldType.Picklist, pick.Type);
            Assert.Equal(10, pick.PicklistValues.Count);
            Assert.Equal("picklist", pick.NativeType);
            Assert.Equal(CrmFieldType.TextArea, schema.FindField("TextAreaLong_Field")!.Type);
            Assert.Equal(32768, schema.FindField("TextAreaLong_Field")!.Length);
            var c = schema.FindField("CreateableButNotUpdateableField")!;
            Assert.True(c.Createable);
            Assert.False(c.Updateable);
        },
        ["describe-error-not-found.json"] = () =>
        {
            var ex = SalesforceSession.ToException(HttpStatusCode.NotFound, Fixtures.Text("describe-error-not-found.json"), "object Nope__c");
            Assert.Equal(ErrorIds.CrmObjectNotFound, ex.ErrorId);
            Assert.Contains("NOT_FOUND", ex.Message);
        },
        ["lead-basic-info-kore-docs.json"] = () =>
        {
            var lead = SalesforceJson.ParseObjectSummary(Json("lead-basic-info-kore-docs.json").GetProperty("objectDescribe"));
            Assert.Equal(new CrmObjectSummary("Lead", "Lead", false, true, true, true, true, true), lead);
        },
        ["lead-record-get-kore-docs.json"] = () =>
        {
            var r = SalesforceJson.ParseRecord(Json("lead-record-get-kore-docs.json"), LeadSchema(), "Lead");
            Assert.Equal("Lead", r.ObjectName);
            Assert.Equal("00Q5g00000DYz3mEAD", r.Id);
            Assert.Equal(new DateTimeOffset(2022, 8, 30, 11, 25, 21, TimeSpan.Zero), r.ModifiedAt);
            Assert.False(r.IsDeleted);
            Assert.Null(r.MergedIntoId);
            Assert.Equal("Doe", r.Values["LastName"]);
            Assert.Null(r.Values["Email"]);
            Assert.Equal(false, r.Values["IsConverted"]);
            Assert.Equal(new DateTimeOffset(2022, 8, 30, 6, 49, 28, TimeSpan.Zero), r.Values["CreatedDate"]);
            Assert.Null(r.Values["AnnualRevenue"]);
            Assert.Null(r.Values["ConvertedDate"]);
        },
        ["query-page1-nextRecordsUrl.json"] = () =>
        {
            var page = SalesforceJson.ParseQueryResult(Json("query-page1-nextRecordsUrl.json"), null, "Whizbang");
            Assert.Equal(2, page.TotalSize);
            Assert.False(page.Done);
            Assert.Equal("/services/data/v26.0/query/01gD", page.NextRecordsUrl);
            var r = Assert.Single(page.Records);
            Assert.Equal("Whizbang", r.ObjectName);
            Assert.Equal("foo", r.Id); // from attributes.url when Id was not selected
            Assert.Equal("First Page", r.Values["Text_Label"]);
        },
        ["query-page2-last.json"] = () =>
        {
            var page = SalesforceJson.ParseQueryResult(Json("query-page2-last.json"), null, "Whizbang");
            Assert.True(page.Done);
            Assert.Null(page.NextRecordsUrl);
            Assert.Equal("Last Page", Assert.Single(page.Records).Values["Text_Label"]);
        },
        ["query-error-invalid-field.json"] = () =>
        {
            var ex = SalesforceSession.ToException(HttpStatusCode.BadRequest, Fixtures.Text("query-error-invalid-field.json"), "a query on Lead");
            Assert.Equal(ErrorIds.CrmRequestFailed, ex.ErrorId);
            Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
            Assert.Contains("INVALID_FIELD: error_message", ex.Message);
        },
        ["updated.json"] = () =>
        {
            var u = SalesforceJson.ParseUpdated(Json("updated.json"));
            Assert.Equal(7, u.Ids.Count);
            Assert.Equal("003q000000KvQ1tAAF", u.Ids[0]);
            Assert.Equal(new DateTimeOffset(2015, 8, 19, 8, 17, 0, TimeSpan.Zero), u.LatestDateCovered);
        },
        ["updated-docs.json"] = () =>
        {
            var u = SalesforceJson.ParseUpdated(Json("updated-docs.json"));
            Assert.Equal(["a00D0000008pQR5IAM", "a00D0000008pQRGIA2", "a00D0000008pQRFIA2"], u.Ids);
            Assert.Equal(new DateTimeOffset(2013, 5, 8, 21, 20, 0, TimeSpan.Zero), u.LatestDateCovered);
        },
        ["deleted.json"] = () =>
        {
            var since = new DateTimeOffset(2013, 5, 1, 0, 0, 0, TimeSpan.Zero);
            var d = SalesforceJson.ParseDeleted(Json("deleted.json"), "Whizbang", since);
            var rec = Assert.Single(d.Records);
            Assert.Equal("a00D0000008pQRAIA2", rec.Id);
            Assert.Equal(new DateTimeOffset(2013, 5, 7, 22, 7, 19, TimeSpan.Zero), rec.DeletedAt);
            Assert.Equal(new DateTimeOffset(2013, 5, 3, 15, 57, 0, TimeSpan.Zero), d.EarliestAvailable);
            Assert.Equal(new DateTimeOffset(2013, 5, 8, 21, 20, 0, TimeSpan.Zero), d.LatestCovered);
            Assert.True(d.MayHaveMissedDeletions); // the log starts after the requested start
        },
        ["limits.json"] = () =>
        {
            var limits = SalesforceJson.ParseLimits(Json("limits.json"));
            Assert.Equal(23, limits.Count);
            var daily = limits.Single(l => l.Name == "DailyApiRequests");
            Assert.Equal(15000, daily.Max);
            Assert.Equal(14998, daily.Remaining);
        },
        ["bulk2-query-job-create-response.json"] = () =>
        {
            var job = SalesforceJson.ParseBulkJob(Json("bulk2-query-job-create-response.json"));
            Assert.Equal(new SalesforceBulkJob("7986gEXAMPLE4X2OPT", "query", "Account", "UploadComplete", null, null, "58.0"), job);
            Assert.False(job.IsComplete);
        },
        ["bulk2-query-job-info-complete.json"] = () =>
        {
            var job = SalesforceJson.ParseBulkJob(Json("bulk2-query-job-info-complete.json"));
            Assert.True(job.IsComplete);
            Assert.Equal(500, job.NumberRecordsProcessed);
            Assert.Equal("46.0", job.ApiVersion);
        },
        ["bulk2-query-job-queryall-airbyte.json"] = () =>
        {
            var job = SalesforceJson.ParseBulkJob(Json("bulk2-query-job-queryall-airbyte.json"));
            Assert.Equal("queryAll", job.Operation);
            Assert.Equal("ActiveFeatureLicenseMetric", job.Object);
            Assert.Equal("57.0", job.ApiVersion);
        },
        ["bulk2-query-results.csv"] = () =>
        {
            var records = SalesforceJson.ParseBulkCsv(Fixtures.Bytes("bulk2-query-results.csv"), null, "User");
            Assert.Equal(3, records.Count);
            Assert.Equal("005R0000000UyrWIAS", records[0].Id);
            Assert.Equal("Jane Dunn", records[0].Values["Name"]);
            Assert.Equal("Pat Wilson", records[2].Values["Name"]);
        },
        ["bulk2-query-results-error-412.json"] = () =>
        {
            var ex = SalesforceSession.ToException(HttpStatusCode.PreconditionFailed, Fixtures.Text("bulk2-query-results-error-412.json"), "the results of bulk job x");
            Assert.Equal(ErrorIds.CrmRequestFailed, ex.ErrorId);
            Assert.Contains("JOB_NOT_COMPLETE", ex.Message);
        },
        ["composite-sobjects-success-restforce.json"] = () =>
        {
            var r = Assert.Single(SalesforceJson.ParseSaveResults(Json("composite-sobjects-success-restforce.json")));
            Assert.True(r.Success);
            Assert.Equal("some_id", r.Id);
            Assert.Empty(r.Errors);
        },
        ["composite-sobjects-update-success.json"] = () =>
        {
            var r = SalesforceJson.ParseSaveResults(Json("composite-sobjects-update-success.json"));
            Assert.Equal(["001xx000003DGb2AAG", "003xx000004TmiQAAS"], r.Select(x => x.Id));
            Assert.All(r, x => Assert.True(x.Success));
            Assert.Equal([0, 1], r.Select(x => x.Index));
        },
        ["composite-sobjects-upsert-created-flags.json"] = () =>
        {
            var r = SalesforceJson.ParseSaveResults(Json("composite-sobjects-upsert-created-flags.json"));
            Assert.Equal([true, false], r.Select(x => x.Created));
        },
        ["composite-sobjects-allornone-true-rollback.json"] = () =>
        {
            var r = SalesforceJson.ParseSaveResults(Json("composite-sobjects-allornone-true-rollback.json"));
            Assert.Equal("DUPLICATES_DETECTED", r[0].Errors.Single().Code);
            Assert.False(r[0].IsTransientFailure);
            Assert.Equal("ALL_OR_NONE_OPERATION_ROLLED_BACK", r[1].Errors.Single().Code);
            Assert.True(r[1].IsTransientFailure);
        },
        ["composite-sobjects-delete-partial-failure.json"] = () =>
        {
            var r = SalesforceJson.ParseSaveResults(Json("composite-sobjects-delete-partial-failure.json"));
            Assert.Equal("001RM000003oLruYAE", r[0].Id);
            Assert.Equal("MALFORMED_ID", r[1].Errors.Single().Code);
            Assert.Equal("malformed id 001RM000003oLrB000", r[1].Errors.Single().Message);
            Assert.False(r[1].IsTransientFailure);
        },
        ["composite-sobjects-delete-bad-request-restforce.json"] = () =>
        {
            var e = Assert.Single(SalesforceJson.ParseErrors(Fixtures.Text("composite-sobjects-delete-bad-request-restforce.json")));
            Assert.Equal("REQUIRED_FIELD_MISSING", e.Code);
        },
        ["composite-sobjects-error-invalid-field-restforce.json"] = () =>
        {
            var e = Assert.Single(SalesforceJson.ParseErrors(Fixtures.Text("composite-sobjects-error-invalid-field-restforce.json")));
            Assert.Equal("INVALID_FIELD", e.Code);
            Assert.StartsWith("Json Deserialization failed", e.Message);
        },
        ["create-success.json"] = () =>
        {
            var r = SalesforceJson.ParseSaveResult(Json("create-success.json"), 0);
            Assert.True(r.Success);
            Assert.Equal("some_id", r.Id);
            Assert.Null(r.Created);
        },
        ["upsert-created.json"] = () =>
        {
            var r = SalesforceJson.ParseSaveResult(Json("upsert-created.json"), 0);
            Assert.True(r.Success);
            Assert.Equal("foo", r.Id);
        },
        ["upsert-error-not-found.json"] = () =>
        {
            var e = Assert.Single(SalesforceJson.ParseErrors(Fixtures.Text("upsert-error-not-found.json")));
            Assert.Equal("NOT_FOUND", e.Code);
            Assert.Contains("Namez", e.Message);
        },
        ["upsert-multiple-choices-300.json"] = () =>
        {
            var urls = Json("upsert-multiple-choices-300.json").EnumerateArray().Select(x => x.GetString()).ToList();
            Assert.Equal(2, urls.Count); // served as a 300 in SalesforceClientTests.Single_upsert_reports_created_300_and_404
            Assert.Empty(SalesforceJson.ParseErrors(Fixtures.Text("upsert-multiple-choices-300.json")));
        },
        ["write-error-invalid-field.json"] = () =>
        {
            var e = Assert.Single(SalesforceJson.ParseErrors(Fixtures.Text("write-error-invalid-field.json")));
            Assert.Equal(new SalesforceError("INVALID_FIELD", "No such column 'foo' on sobject of type Bar", []), e with { Fields = [] });
            Assert.False(SalesforceJson.ToWriteError(e).IsTransient);
        },
        ["error-request-limit-exceeded-403.json"] = () =>
        {
            var ex = SalesforceSession.ToException(HttpStatusCode.Forbidden, Fixtures.Text("error-request-limit-exceeded-403.json"), "a query");
            Assert.Equal(ErrorIds.CrmApiLimitExceeded, ex.ErrorId);
            Assert.Equal(ErrorKind.LimitsExceeded, ex.Kind);
        },
    };

    /// <summary>A Lead schema for the Kore record, with the types the Lead describe gives those fields.</summary>
    internal static CrmObjectSchema LeadSchema()
    {
        static CrmFieldSchema F(string name, CrmFieldType type) => new(name, name, type, type.ToString().ToLowerInvariant(), 0, 0, 0, true, true, true, false, false, false, false, [], []);
        return new CrmObjectSchema("Lead", "Lead", false, true, true, true, true,
        [
            F("Id", CrmFieldType.Id), F("IsDeleted", CrmFieldType.Boolean), F("MasterRecordId", CrmFieldType.Reference), F("LastName", CrmFieldType.String),
            F("FirstName", CrmFieldType.String), F("Email", CrmFieldType.Email), F("Company", CrmFieldType.String), F("IsConverted", CrmFieldType.Boolean),
            F("ConvertedDate", CrmFieldType.Date), F("AnnualRevenue", CrmFieldType.Currency), F("NumberOfEmployees", CrmFieldType.Integer),
            F("CreatedDate", CrmFieldType.DateTime), F("SystemModstamp", CrmFieldType.DateTime), F("Status", CrmFieldType.Picklist),
            F("Ext_Key__c", CrmFieldType.String),
        ])
        {
            ModificationStampField = "SystemModstamp",
            DeletedFlagField = "IsDeleted",
            MergedIntoField = "MasterRecordId",
        };
    }

    public static IEnumerable<object[]> AllFixtureNames() => Fixtures.AllSalesforce().Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(AllFixtureNames))]
    public void Fixture_parses_with_the_real_parser(string fixture)
    {
        Assert.True(Checks.TryGetValue(fixture, out var check), $"No parser check for fixture {fixture}: add one.");
        check();
    }

    [Fact]
    public void Every_fixture_in_the_shared_folder_is_checked()
    {
        var files = Fixtures.AllSalesforce().ToList();
        Assert.True(files.Count >= 38, $"Expected the recorded fixtures, found {files.Count} in {Fixtures.SalesforceFolder}");
        Assert.Equal(files.Order(StringComparer.Ordinal), Checks.Keys.Order(StringComparer.Ordinal));
    }
}
