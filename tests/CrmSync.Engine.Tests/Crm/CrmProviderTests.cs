using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>The connection rules each CRM's provider answers (they were <c>row.Crm == ...</c> branches in ProfileConnector).</summary>
public sealed class CrmProviderTests
{
    [Fact]
    public void Each_kind_has_its_provider_and_both_connect_and_sync()
    {
        Assert.Equal(CrmKind.Salesforce, CrmProviders.For(CrmKind.Salesforce).Kind);
        Assert.Equal(CrmKind.Dynamics, CrmProviders.For(CrmKind.Dynamics).Kind);
        Assert.True(CrmProviders.Salesforce.ConnectAvailable);
        Assert.True(CrmProviders.Dynamics.ConnectAvailable);
        Assert.True(CrmProviders.Salesforce.SyncAvailable);
        Assert.True(CrmProviders.Dynamics.SyncAvailable);
        Assert.True(CrmProviders.Dynamics.ConnectAvailable);
        CrmProviders.EnsureSyncAvailable(CrmKind.Salesforce, "p");
        CrmProviders.EnsureSyncAvailable(CrmKind.Dynamics, "d365");
        Assert.Equal("Sforce-Limit-Info", CrmProviders.Salesforce.UsageSource);
        Assert.Equal("Dynamics 365 Web API", CrmProviders.Dynamics.UsageSource);
        Assert.Equal(ProfileConnector.SalesforceUsageSource, CrmProviders.Salesforce.UsageSource);
        Assert.Equal(ProfileConnector.DynamicsUsageSource, CrmProviders.Dynamics.UsageSource);
        Assert.Equal(ErrorIds.InvalidArgument, Assert.Throws<CrmSyncException>(() => CrmProviders.For((CrmKind)42)).ErrorId);
    }

    [Fact]
    public void The_duplicate_report_reads_the_person_fields_the_provider_names()
    {
        Assert.Equal(new CrmDuplicateFields("Email", "FirstName", "LastName", "Company", "AccountId", "Account", "Name"), CrmProviders.Salesforce.DuplicateFields);
        Assert.Equal(new CrmDuplicateFields("emailaddress1", "firstname", "lastname", "companyname", "parentcustomerid", "account", "name"), CrmProviders.Dynamics.DuplicateFields);
    }

    [Fact]
    public void Salesforce_signs_in_at_the_given_login_url_or_the_production_or_sandbox_host_and_keeps_only_its_host()
    {
        var production = CrmProviders.Salesforce.ResolveEndpoints(null, null, sandbox: false);
        Assert.Equal(new Uri("https://login.salesforce.com"), production.LoginUrl);
        Assert.Null(production.OrganizationUrl);
        Assert.Equal("https://login.salesforce.com", production.ProfileUrl);
        Assert.Null(production.AuthorityUrl);

        Assert.Equal(new Uri("https://test.salesforce.com"), CrmProviders.Salesforce.ResolveEndpoints(null, null, sandbox: true).LoginUrl);

        var custom = CrmProviders.Salesforce.ResolveEndpoints(new Uri("https://acme.my.salesforce.com/some/path"), null, sandbox: true);
        Assert.Equal(new Uri("https://acme.my.salesforce.com/some/path"), custom.LoginUrl);
        Assert.Equal("https://acme.my.salesforce.com", custom.ProfileUrl);

        var relative = Assert.Throws<CrmSyncException>(() => CrmProviders.Salesforce.ResolveEndpoints(new Uri("login", UriKind.Relative), null, false));
        Assert.Equal(ErrorIds.InvalidArgument, relative.ErrorId);

        var saved = CrmProviders.Salesforce.SavedEndpoints("https://acme.my.salesforce.com", null);
        Assert.Equal((new Uri("https://acme.my.salesforce.com"), (Uri?)null), (saved.LoginUrl, saved.OrganizationUrl));
    }

    [Fact]
    public void Dynamics_needs_the_organization_url_and_keeps_the_login_url_as_its_authority()
    {
        var missing = Assert.Throws<CrmSyncException>(() => CrmProviders.Dynamics.ResolveEndpoints(new Uri("https://login.microsoftonline.com/"), null, false));
        Assert.Equal(ErrorIds.InvalidArgument, missing.ErrorId);
        Assert.Contains("organization URL", missing.Message, StringComparison.Ordinal);

        var org = new Uri("https://acme.crm.dynamics.com/");
        var endpoints = CrmProviders.Dynamics.ResolveEndpoints(new Uri("https://login.microsoftonline.com/"), org, false);
        Assert.Equal(org, endpoints.OrganizationUrl);
        Assert.Equal(new Uri("https://login.microsoftonline.com/"), endpoints.LoginUrl);
        Assert.Equal("https://acme.crm.dynamics.com/", endpoints.ProfileUrl);
        Assert.Equal("https://login.microsoftonline.com/", endpoints.AuthorityUrl);

        var saved = CrmProviders.Dynamics.SavedEndpoints("https://acme.crm.dynamics.com/", null);
        Assert.Equal((org, (Uri?)null), (saved.OrganizationUrl!, saved.LoginUrl));
    }

    [Fact]
    public void Org_ids_compare_by_each_crms_rules()
    {
        Assert.True(CrmProviders.Salesforce.SameOrganizationId("00D000000000001", "00D000000000001EAA"));
        Assert.True(CrmProviders.Salesforce.SameOrganizationId("00D000000000001EAA", "00D000000000001EAA"));
        Assert.False(CrmProviders.Salesforce.SameOrganizationId("00d000000000001", "00D000000000001EAA")); // case-sensitive
        Assert.False(CrmProviders.Salesforce.SameOrganizationId("00D000000000002", "00D000000000001EAA"));

        Assert.True(CrmProviders.Dynamics.SameOrganizationId("6F9619FF-8B86-D011-B42D-00C04FC964FF", "{6f9619ff-8b86-d011-b42d-00c04fc964ff}"));
        Assert.False(CrmProviders.Dynamics.SameOrganizationId("6F9619FF-8B86-D011-B42D-00C04FC964FF", "7F9619FF-8B86-D011-B42D-00C04FC964FF"));
    }

    [Fact]
    public void The_salesforce_provider_supplies_the_synced_objects_the_key_and_the_person_rules()
    {
        var objects = CrmProviders.Salesforce.SyncedObjects;
        Assert.Same(objects, SyncedObjectCatalog.For(CrmKind.Salesforce));
        Assert.Equal("CrmSync_Key__c", objects.ExternalIdField);
        Assert.Equal(["Lead", "Contact"], objects.PersonObjects);
        Assert.Equal(PersonKind.Lead, objects.FindStandard("Lead")!.PersonKind);
        Assert.Equal(PersonKind.Contact, objects.FindStandard("Contact")!.PersonKind);
        Assert.Equal("Lead", objects.Persons.CreateObject.ObjectName);
        Assert.Equal(["LastName", "Company"], objects.Persons.OfKind(PersonKind.Lead)!.RequiredOnCreate);
        Assert.Equal(["LastName"], objects.Persons.OfKind(PersonKind.Contact)!.RequiredOnCreate);
        Assert.Equal("Email", objects.Persons.EmailField);
        var members = objects.Persons.Membership!;
        Assert.Equal(("CampaignMember", "Campaign", "CampaignId"), (members.ObjectName, members.GroupObject, members.GroupReference));
        Assert.Equal(["LeadId", "ContactId"], members.PersonReferenceFields);
        Assert.Equal("ContactId", members.PersonReferenceFor(PersonKind.Contact));
        Assert.Equal("LeadId", members.PersonReferenceFor(null));
        Assert.Equal(["Lead", "Contact", "Campaign"], objects.PushOrder);
        Assert.True(objects.UpsertOnKey.SetEquals(["Lead", "Contact", "Campaign"]));
        Assert.Equal(3, objects.PushRank("CampaignMember"));
    }

    [Fact]
    public void The_dynamics_provider_names_the_dataverse_objects_and_its_sync_filter_field()
    {
        var objects = CrmProviders.Dynamics.SyncedObjects;
        Assert.Equal(CrmKind.Dynamics, objects.Crm);
        Assert.Equal(["lead", "contact"], objects.PersonObjects);
        Assert.Equal("lead", objects.Persons.CreateObject.ObjectName);
        Assert.Equal(["lastname", "companyname"], objects.Persons.OfKind(PersonKind.Lead)!.RequiredOnCreate);
        Assert.Equal("emailaddress1", objects.Persons.EmailField);
        var members = objects.Persons.Membership!;
        Assert.Equal(("listmember", "list", "listid"), (members.ObjectName, members.GroupObject, members.GroupReference));
        Assert.Equal(["entityid"], members.PersonReferenceFields); // one polymorphic lookup for leads and contacts
        Assert.All(["account", "opportunity", "systemuser"], o => Assert.False(objects.FindStandard(o)!.IsTwoWay));
        Assert.Same(objects, SyncedObjectCatalog.For(CrmKind.Dynamics));
        Assert.Equal("new_synctomkto", objects.DefaultSyncFilterField);
        Assert.Null(CrmProviders.Salesforce.SyncedObjects.DefaultSyncFilterField);
    }

    [Fact]
    public void Each_provider_gives_the_roles_of_fields_known_only_by_name()
    {
        var salesforce = CrmProviders.Salesforce.RolesFromNames("Lead", ["Id", "SystemModstamp", "CreatedDate", "IsDeleted", "Email"]);
        Assert.Equal(CrmFieldRole.PrimaryId, salesforce["Id"]);
        Assert.Equal(CrmFieldRole.ModificationStamp, salesforce["SystemModstamp"]);
        Assert.Equal(CrmFieldRole.CreatedDate, salesforce["CreatedDate"]);
        Assert.False(salesforce.ContainsKey("Email"));
        var onlyCreated = CrmProviders.Salesforce.RolesFromNames("History", ["Id", "CreatedDate"]);
        Assert.Equal(CrmFieldRole.ModificationStamp | CrmFieldRole.CreatedDate, onlyCreated["CreatedDate"]);
        var dynamics = CrmProviders.Dynamics.RolesFromNames("contact", ["contactid", "modifiedon", "createdon", "lastname"]);
        Assert.Equal(CrmFieldRole.PrimaryId, dynamics["contactid"]);
        Assert.Equal(CrmFieldRole.ModificationStamp, dynamics["modifiedon"]);
        Assert.Equal(CrmFieldRole.CreatedDate, dynamics["createdon"]);
    }
}
