using System.Collections;
using CrmSync.Engine.Store;
using CrmSync.PowerShell.Completion;

namespace CrmSync.PowerShell.Tests.Completion;

/// <summary>Tab completion reads the data folder and the local field catalog (never the network) and never throws.</summary>
public sealed class CatalogCompletionTests : IDisposable
{
    private readonly TempDataFolder data = new();
    private readonly CatalogCompletion completion;

    public CatalogCompletionTests() => completion = CatalogCompletion.ForEnvironment(data.Environment);

    public void Dispose() => data.Dispose();

    private void Catalog(string profile, string? databasePath, params (string Object, string Field)[] fields)
    {
        using CrmSyncStore store = data.Profiles.Open(profile, databasePath);
        foreach (var (objectName, field) in fields)
        {
            string table = objectName is "Lead" or "Contact" ? "person" : objectName.ToLowerInvariant();
            store.FieldCatalog.Append(new NewCatalogField(objectName, table, field, field, "string", SqliteColumnType.Text));
        }
    }

    private static Hashtable Bound(params (string Name, object Value)[] values)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in values)
            table[name] = value;
        return table;
    }

    [Fact]
    public void Profiles_complete_from_the_data_folder_by_prefix_case_insensitively()
    {
        data.CreateFreshProfile("prod");
        data.CreateFreshProfile("preprod");
        data.CreateFreshProfile("default");

        Assert.Equal(["preprod", "prod"], completion.Profiles("pr"));
        Assert.Equal(["prod"], completion.Profiles("PRO"));
        Assert.Equal(["default", "preprod", "prod"], completion.Profiles(""));
        Assert.Equal(["preprod"], completion.Profiles("*epr"));
        Assert.Empty(completion.Profiles("x"));
    }

    [Fact]
    public void Objects_and_fields_complete_from_the_catalog_of_the_default_profile()
    {
        data.CreateFreshProfile("default");
        Catalog("default", null, ("Lead", "Email"), ("Lead", "Company"), ("Contact", "Email"), ("Contact", "Birthdate"), ("Account", "Name"));

        Assert.Equal(["Account", "Contact", "Lead"], completion.Objects(null, ""));
        Assert.Equal(["Lead"], completion.Objects(Bound(), "le"));
        Assert.Equal(["Birthdate", "Company", "Email", "Name"], completion.Fields(null, null));
        Assert.Equal(["Company", "Email"], completion.Fields(Bound(("Object", "Lead")), ""));
        Assert.Equal(["Email"], completion.Fields(Bound(("Object", new object[] { "Lead", "Contact" })), "E"));
        // a wildcard -Object does not narrow the candidates
        Assert.Equal(["Birthdate", "Company", "Email", "Name"], completion.Fields(Bound(("Object", "L*")), ""));
    }

    [Fact]
    public void The_profile_and_database_already_typed_are_honoured()
    {
        data.CreateFreshProfile("default");
        Catalog("default", null, ("Lead", "Email"));
        string file = Path.Combine(data.Path, "elsewhere", "prod.db");
        data.CreateFreshProfile("prod", file);
        Catalog("prod", file, ("Invoice__c", "Amount__c"));

        Assert.Equal(["Invoice__c"], completion.Objects(Bound(("Profile", "prod"), ("DatabasePath", file)), ""));
        Assert.Equal(["Amount__c"], completion.Fields(Bound(("Profile", "prod"), ("DatabasePath", file), ("Object", "Invoice__c")), "a"));
        Assert.Equal(["Lead"], completion.Objects(Bound(("Profile", "default")), ""));
    }

    [Fact]
    public void Nothing_to_read_gives_no_candidates_and_never_throws()
    {
        Assert.Empty(completion.Profiles(""));
        Assert.Empty(completion.Objects(null, ""));
        Assert.Empty(completion.Objects(Bound(("Profile", "nope")), ""));
        Assert.Empty(completion.Objects(Bound(("Profile", "not a valid name!")), ""));
        Assert.Empty(completion.Fields(Bound(("DatabasePath", Path.Combine(data.Path, "missing.db"))), ""));

        string notADatabase = Path.Combine(data.Path, "profiles", "broken.db");
        Directory.CreateDirectory(Path.GetDirectoryName(notADatabase)!);
        File.WriteAllText(notADatabase, "this is not SQLite");
        Assert.Empty(completion.Objects(Bound(("Profile", "broken")), ""));
    }

    [Fact]
    public void Bound_values_accept_strings_arrays_and_other_objects()
    {
        Assert.Equal(["a"], CatalogCompletion.BoundValues(Bound(("X", "a")), "X"));
        Assert.Equal(["a", "b"], CatalogCompletion.BoundValues(Bound(("X", new[] { "a", "b" })), "X"));
        Assert.Equal(["42"], CatalogCompletion.BoundValues(Bound(("X", 42)), "X"));
        Assert.Empty(CatalogCompletion.BoundValues(Bound(("X", "")), "X"));
        Assert.Empty(CatalogCompletion.BoundValues(null, "X"));
    }
}
