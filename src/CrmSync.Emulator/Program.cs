using CrmSync.Emulator.Hosting;

EmulatorOptions options;
try
{
    options = EmulatorOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine("crmsync emulator: " + ex.Message);
    Console.Error.WriteLine("Usage: CrmSync.Emulator --urls http://127.0.0.1:5080 [--db PATH] [--seed lead=N,contact=N,...] [--seed-value S]");
    Console.Error.WriteLine("       [--sf-user NAME --sf-password P --sf-token T --client-id ID --client-secret S] [--session-timeout 02:00:00]");
    Console.Error.WriteLine("       [--daily-api-limit N] [--bulk-polls N] [--admin] [--cert PFX-CACHE] [--cert-out PEM]");
    Console.Error.WriteLine("       [--crm salesforce|dynamics|both] [--dv-seed lead=N,contact=N,account=N,opportunity=N,systemuser=N,list=N,listmember=N,custom=N]");
    Console.Error.WriteLine("       [--dv-tenant GUID --dv-user UPN --dv-second-user UPN --dv-password P --dv-client-id GUID --dv-client-secret S]");
    Console.Error.WriteLine("       [--dv-token-minutes 60] [--dv-change-tracking-days 7] [--dv-request-limit 6000] [--dv-time-limit-ms 1200000] [--dv-concurrency-limit 52]");
    return 2;
}

await using var host = await EmulatorHost.StartAsync(options);
var c = host.Credentials;
string served = options.Crm switch { CrmKind.Dynamics => "Dynamics 365", CrmKind.Both => "Salesforce + Dynamics 365", _ => "Salesforce" };
Console.WriteLine($"CrmSync emulator ({served}) listening on {host.BaseUrl}");
foreach (var other in host.Addresses.Where(a => a != host.BaseUrl))
{
    Console.WriteLine($"  also listening:   {other}");
}
if (host.Dynamics is { } dv)
{
    var e = dv.Credentials;
    Console.WriteLine($"  Dynamics org URL: {host.BaseUrl}  (Web API {host.BaseUrl}/api/data/v9.2/)");
    Console.WriteLine($"  tenant id:        {e.TenantId}  ({e.TenantDomain})");
    Console.WriteLine($"  token endpoint:   {host.BaseUrl}/{e.TenantId}/oauth2/v2.0/token  (scope {host.BaseUrl}/.default)");
    Console.WriteLine($"  authority:        {host.BaseUrl}/{e.TenantId}  (OpenID configuration at /v2.0/.well-known/openid-configuration)");
    Console.WriteLine($"  sync user (UPN):  {e.SyncUserUpn}  systemuserid {dv.SyncUser.Id}");
    Console.WriteLine($"  second user:      {e.SecondUserUpn}  systemuserid {dv.SecondUser.Id}");
    Console.WriteLine($"  users' password:  {e.Password}");
    Console.WriteLine($"  app client id:    {e.ClientId}");
    Console.WriteLine($"  app secret:       {e.ClientSecret}");
    Console.WriteLine($"  application user: {e.ApplicationUserName}  systemuserid {dv.ApplicationUser.Id}");
    Console.WriteLine($"  Dataverse store:  {options.DynamicsDatabasePath ?? "(in memory)"}");
    Console.WriteLine($"  Dynamics admin:   {(options.EnableAdmin ? host.BaseUrl + "/_emulator/dynamics" : "off (start with --admin)")}");
}
if (!options.ServesSalesforce)
{
    PrintCertificate();
    Console.Out.Flush();
    await host.WaitForShutdownAsync();
    return 0;
}
Console.WriteLine($"  login URL:        {host.BaseUrl}  (SOAP /services/Soap/u/{SalesforceOrgVersion.Latest}, OAuth /services/oauth2/token)");
Console.WriteLine($"  sync user:        {c.Username}");
Console.WriteLine($"  password:         {c.Password}");
Console.WriteLine($"  security token:   {c.SecurityToken}");
Console.WriteLine($"  consumer key:     {c.ClientId}");
Console.WriteLine($"  consumer secret:  {c.ClientSecret}");
Console.WriteLine($"  restricted user:  {c.RestrictedUsername} (same password and token)");
Console.WriteLine($"  database:         {options.DatabasePath ?? "(in memory)"}");
Console.WriteLine($"  admin API:        {(options.EnableAdmin ? host.BaseUrl + "/_emulator" : "off (start with --admin)")}");
PrintCertificate();
Console.Out.Flush();
await host.WaitForShutdownAsync();
return 0;

void PrintCertificate()
{
    if (host.Certificate is { } certificate)
    {
        Console.WriteLine($"  TLS certificate:  self-signed loopback, SHA-256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
        Console.WriteLine($"  certificate PEM:  {options.CertificateOutPath ?? "(write it with --cert-out PATH; trust it via REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS / SSL_CERT_FILE)"}");
    }
}

/// <summary>The newest API version the emulator serves, for the banner.</summary>
internal static class SalesforceOrgVersion
{
    public const string Latest = "62.0";
}
