using System.Text;
using CrmSync.Engine.Connections;
using CrmSync.Engine.Crm.Dynamics;

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
}
