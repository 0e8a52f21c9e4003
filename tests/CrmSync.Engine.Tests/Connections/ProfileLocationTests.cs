using CrmSync.Engine.Connections;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Connections;

public sealed class ProfileLocationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_data_folder_follows_each_platforms_convention()
    {
        Assert.Equal(Path.Combine(@"C:\Users\ada\AppData\Local", "CrmSync"),
            CrmSyncPaths.ResolveDataDirectory(CrmSyncPaths.HostPlatform.Windows, Env(("LOCALAPPDATA", @"C:\Users\ada\AppData\Local"))));
        Assert.Equal(Path.Combine("/Users/ada", "Library", "Application Support", "CrmSync"),
            CrmSyncPaths.ResolveDataDirectory(CrmSyncPaths.HostPlatform.MacOS, Env(("HOME", "/Users/ada"))));
        Assert.Equal(Path.Combine("/data/ada", "crmsync"),
            CrmSyncPaths.ResolveDataDirectory(CrmSyncPaths.HostPlatform.Unix, Env(("XDG_DATA_HOME", "/data/ada"), ("HOME", "/home/ada"))));
        Assert.Equal(Path.Combine("/home/ada", ".local", "share", "crmsync"),
            CrmSyncPaths.ResolveDataDirectory(CrmSyncPaths.HostPlatform.Unix, Env(("HOME", "/home/ada"))));
        // a relative XDG_DATA_HOME is invalid per the XDG spec and ignored
        Assert.Equal(Path.Combine("/home/ada", ".local", "share", "crmsync"),
            CrmSyncPaths.ResolveDataDirectory(CrmSyncPaths.HostPlatform.Unix, Env(("XDG_DATA_HOME", "relative"), ("HOME", "/home/ada"))));
    }

    [Theory]
    [InlineData("Windows")]
    [InlineData("MacOS")]
    [InlineData("Unix")]
    public void CRMSYNC_HOME_overrides_the_data_folder_everywhere(string platformName)
    {
        var platform = Enum.Parse<CrmSyncPaths.HostPlatform>(platformName);
        var env = Env((CrmSyncPaths.HomeVariable, _dir.Path), ("HOME", "/home/ada"), ("LOCALAPPDATA", "/x"), ("XDG_DATA_HOME", "/y"));
        Assert.Equal(_dir.Path, CrmSyncPaths.ResolveDataDirectory(platform, env));

        var paths = CrmSyncPaths.FromEnvironment(env);
        Assert.Equal(Path.Combine(_dir.Path, "profiles", "prod.db"), paths.DefaultDatabasePath("prod"));
        Assert.Equal(Path.Combine(_dir.Path, "secrets"), paths.SecretsDirectory);
        Assert.Equal(Path.Combine(_dir.Path, "keys"), paths.KeysDirectory);
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("sales-Sandbox_2")]
    [InlineData("a")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Valid_profile_names(string name) => Assert.Equal(name, ProfileName.Validate(name));

    [Theory]
    [InlineData("")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("a b")]
    [InlineData("../etc/passwd")]
    [InlineData("prod.db")]
    [InlineData("CON")]
    [InlineData("nul")]
    [InlineData("prød")]
    [InlineData(null)]
    public void Invalid_profile_names_get_a_clear_error(string? name)
    {
        Assert.False(ProfileName.IsValid(name));
        var e = Assert.Throws<CrmSyncException>(() => ProfileName.Validate(name));
        Assert.Equal(ErrorIds.InvalidProfileName, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("letters, digits, '-' or '_'", e.Message);
        Assert.Throws<CrmSyncException>(() => new ProfileLocator(new CrmSyncPaths(_dir.Path)).Resolve(name!));
    }

    [Fact]
    public void The_locator_resolves_default_and_explicit_paths()
    {
        var locator = new ProfileLocator(new CrmSyncPaths(_dir.Path));

        Assert.Equal(new ProfileLocation("prod", _dir.Combine("profiles", "prod.db"), false), locator.Resolve("prod"));
        var explicitPath = _dir.Combine("elsewhere", "marketing.db");
        Assert.Equal(new ProfileLocation("prod", explicitPath, true), locator.Resolve("prod", explicitPath));

        var folder = Assert.Throws<CrmSyncException>(() => locator.Resolve("prod", _dir.Path));
        Assert.Equal(ErrorIds.DatabasePathInvalid, folder.ErrorId);
        Assert.Equal(ErrorIds.DatabasePathInvalid, Assert.Throws<CrmSyncException>(() => locator.Resolve("prod", " ")).ErrorId);
    }

    [Fact]
    public void Profiles_can_be_created_listed_and_opened_but_not_created_twice()
    {
        var time = new FakeTimeProvider();
        var profiles = TestProfiles.ProfileStore(_dir, time);
        Assert.False(profiles.Exists("prod"));
        Assert.Empty(profiles.Locator.ListProfiles());

        using (var created = profiles.Create(TestProfiles.Salesforce("prod")))
            Assert.Equal(_dir.Combine("profiles", "prod.db"), created.DatabasePath);
        using (profiles.Create(TestProfiles.Salesforce("sandbox") with { Sandbox = true, LoginUrl = "https://test.salesforce.com" })) { }

        Assert.True(profiles.Exists("prod"));
        Assert.Equal(["prod", "sandbox"], profiles.Locator.ListProfiles());
        var again = Assert.Throws<CrmSyncException>(() => profiles.Create(TestProfiles.Salesforce("prod")));
        Assert.Equal(ErrorIds.ProfileExists, again.ErrorId);

        using var opened = profiles.Open("sandbox");
        var info = opened.Profile.Read()!;
        Assert.Equal(("sandbox", true, "https://test.salesforce.com", time.GetUtcNow()), (info.Name, info.Sandbox, info.LoginUrl, info.CreatedAt));
    }

    [Fact]
    public void Opening_an_unknown_profile_fails_and_creates_nothing()
    {
        var profiles = TestProfiles.ProfileStore(_dir);

        var e = Assert.Throws<CrmSyncException>(() => profiles.Open("ghost"));
        Assert.Equal(ErrorIds.ProfileNotFound, e.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, e.Kind);
        Assert.Equal($"No CrmSync profile named 'ghost' was found at {_dir.Combine("profiles", "ghost.db")}.", e.Message);
        Assert.Equal($"Run {ShellAction.Connect} to create the profile.", e.RecommendedAction);
        Assert.Equal("ghost", e.Target);
        Assert.False(File.Exists(_dir.Combine("profiles", "ghost.db")));
    }

    [Fact]
    public void An_explicit_database_path_is_used_everywhere()
    {
        var profiles = TestProfiles.ProfileStore(_dir);
        var path = _dir.Combine("custom", "crm.db");
        using (var created = profiles.Create(TestProfiles.Salesforce("prod"), path))
            Assert.Equal(path, created.DatabasePath);

        Assert.False(File.Exists(_dir.Combine("profiles", "prod.db")));
        Assert.True(profiles.Exists("prod", path));
        using (var opened = profiles.Open("prod", path))
            Assert.Equal("prod", opened.Profile.Read()!.Name);

        // the database at that path belongs to 'prod', not to 'other'
        var e = Assert.Throws<CrmSyncException>(() => profiles.Open("other", path));
        Assert.Equal(ErrorIds.ProfileNotFound, e.ErrorId);
    }

    [Fact]
    public void A_bad_profile_row_is_refused_before_anything_is_stored()
    {
        using var store = CrmSyncStore.Open(_dir.Combine("p.db"));
        var e = Assert.Throws<CrmSyncException>(() => store.Profile.Save(TestProfiles.Salesforce() with { LoginUrl = "login.salesforce.com" }));
        Assert.Equal(ErrorIds.InvalidArgument, e.ErrorId);
        Assert.Null(store.Profile.Read());
    }
}
