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
    return 2;
}

await using var host = await EmulatorHost.StartAsync(options);
var c = host.Credentials;
Console.WriteLine($"CrmSync emulator (Salesforce) listening on {host.BaseUrl}");
foreach (var other in host.Addresses.Where(a => a != host.BaseUrl))
{
    Console.WriteLine($"  also listening:   {other}");
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
if (host.Certificate is { } certificate)
{
    Console.WriteLine($"  TLS certificate:  self-signed loopback, SHA-256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
    Console.WriteLine($"  certificate PEM:  {options.CertificateOutPath ?? "(write it with --cert-out PATH; trust it via REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS / SSL_CERT_FILE)"}");
}
Console.Out.Flush();
await host.WaitForShutdownAsync();
return 0;

/// <summary>The newest API version the emulator serves, for the banner.</summary>
internal static class SalesforceOrgVersion
{
    public const string Latest = "62.0";
}
