using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Connections;

/// <summary>Builds a profile's CRM client from what was saved for it (the profile row, its settings and its secrets).</summary>
internal sealed class SavedCredentials(ISecretStore secrets, Func<string, string?>? environmentSecrets,
    Func<CrmConnectionSettings, CrmClientOptions, ICrmClient> clientFactory)
{
    /// <summary>
    /// The client of a profile signed in with its saved secrets or, when none are saved and the connector reads the
    /// environment, with <see cref="ProfileConnector.ProfileConnector.PasswordVariable"/>, <see cref="ProfileConnector.ProfileConnector.SecurityTokenVariable"/> and
    /// <see cref="ProfileConnector.ProfileConnector.ClientSecretVariable"/>. Throws CredentialsNotSaved when neither has them. Nothing is sent yet.
    /// </summary>
    public ICrmClient CreateClient(ProfileInfo row, ProfileLocation location, CrmClientOptions options)
    {
        var saved = ProfileConnectorSettings.Read(row.SettingsJson);
        SecretValue? password = null, token = null, clientSecret = null;
        try
        {
            secrets.TryGet(location.ProfileName, SecretNames.Password, out password);
            secrets.TryGet(location.ProfileName, SecretNames.SecurityToken, out token);
            secrets.TryGet(location.ProfileName, SecretNames.ClientSecret, out clientSecret);
            bool Complete() => saved.AuthMethod == CrmAuthMethod.ClientCredentials ? clientSecret is not null : password is not null;
            if (!Complete() && environmentSecrets is { } environment)
            {
                // Nothing saved for this user: a Process-scope profile in a container or runbook gives its secrets in the environment.
                password?.Dispose();
                token?.Dispose();
                clientSecret?.Dispose();
                password = FromEnvironment(environment, ProfileConnector.PasswordVariable);
                token = FromEnvironment(environment, ProfileConnector.SecurityTokenVariable);
                clientSecret = FromEnvironment(environment, ProfileConnector.ClientSecretVariable);
            }
            if (!Complete())
                throw ProfileConnector.CredentialsNotSaved(location, row.Crm, saved.AuthMethod);

            var endpoints = CrmProviders.For(row.Crm).SavedEndpoints(row.LoginUrl, saved.AuthorityUrl);
            var settings = new CrmConnectionSettings
            {
                Kind = row.Crm,
                AuthMethod = saved.AuthMethod,
                LoginUrl = endpoints.LoginUrl,
                OrganizationUrl = endpoints.OrganizationUrl,
                Sandbox = row.Sandbox,
                Username = saved.AuthMethod == CrmAuthMethod.ClientCredentials ? null : row.UserName,
                Password = password,
                SecurityToken = token,
                ClientId = saved.ClientId,
                ClientSecret = clientSecret,
                TenantId = saved.TenantId,
                ApiVersion = row.ApiVersion,
            };
            return clientFactory(settings, options);
        }
        finally
        {
            password?.Dispose();
            token?.Dispose();
            clientSecret?.Dispose();
        }
    }

    private static SecretValue? FromEnvironment(Func<string, string?> environment, string name) =>
        environment(name) is { Length: > 0 } value ? SecretValue.Copy(value.AsSpan()) : null;
}
