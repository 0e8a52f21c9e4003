using System.Text;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm.Dynamics;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Tests.Crm.Dynamics;

/// <summary>Marketo's form takes the sync user as user@domain or DOMAIN\user: both reach Entra exactly as typed (form-encoded).</summary>
public sealed class DataverseLoginUserNameTests
{
    [Theory]
    [InlineData("sync@contoso.onmicrosoft.com", "sync%40contoso.onmicrosoft.com")]
    [InlineData(@"CONTOSO\sync", "CONTOSO%5Csync")]
    public void The_user_name_is_sent_as_typed(string userName, string encoded)
    {
        using var password = SecretValue.Copy("p&ss=word");
        var body = Encoding.UTF8.GetString(DataverseLogin.BuildPasswordBody(DataverseLogin.DefaultPublicClientId, null, userName, password,
            "https://contoso.crm.dynamics.com/.default"));

        Assert.Contains("&username=" + encoded + "&", body, StringComparison.Ordinal);
        Assert.EndsWith("&password=p%26ss%3Dword", body, StringComparison.Ordinal);
        Assert.DoesNotContain("client_secret", body, StringComparison.Ordinal);
    }

    private static readonly Uri Token = new("https://login.microsoftonline.com/organizations/oauth2/v2.0/token");
    private static readonly Uri Org = new("https://contoso.crm.dynamics.com");

    [Theory]
    [InlineData(50034L, "AADSTS50034: The user account {EmailHidden} does not exist in the contoso.onmicrosoft.com directory.")]
    [InlineData(50126L, "AADSTS50126: Error validating credentials due to invalid username or password.")]
    public void An_unknown_DOMAIN_user_is_told_to_use_the_user_principal_name(long code, string description)
    {
        var e = DataverseLogin.TokenError("invalid_grant", description, [code], Token, Org, @"CONTOSO\sync");

        Assert.Equal(ErrorIds.InvalidCredentials, e.ErrorId);
        Assert.Contains(@"'CONTOSO\sync'", e.Message, StringComparison.Ordinal);
        Assert.Contains("user principal name", e.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains("sync@contoso.com", e.RecommendedAction, StringComparison.Ordinal);
        Assert.Contains(ShellAction.Connect.Parameter(ActionParameter.Credential).ToString(), e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_user_principal_name_is_told_to_check_it_and_a_wrong_password_keeps_its_own_advice()
    {
        var unknown = DataverseLogin.TokenError("invalid_grant", "AADSTS50034: The user account does not exist.", [50034], Token, Org, "sync@contoso.com");
        Assert.Equal(ErrorIds.InvalidCredentials, unknown.ErrorId);
        Assert.Contains("does not know the user 'sync@contoso.com'", unknown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(@"DOMAIN\user", unknown.Message, StringComparison.Ordinal);

        var password = DataverseLogin.TokenError("invalid_grant", "AADSTS50126: Error validating credentials.", [50126], Token, Org, "sync@contoso.com");
        Assert.Equal("Check the sync user's name (user@domain) and password, then connect again.", password.RecommendedAction);
    }
}
