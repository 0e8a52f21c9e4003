using CrmSync.Engine.Crm;
using CrmSync.Engine.Crm.Salesforce;
using CrmSync.Engine.Resilience;
using CrmSync.Engine.Connections;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>An IProgress that records synchronously (Progress&lt;T&gt; would post asynchronously).</summary>
internal sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly object _gate = new();
    private readonly List<T> _items = [];

    public IReadOnlyList<T> Items
    {
        get { lock (_gate) return _items.ToList(); }
    }

    public void Report(T value)
    {
        lock (_gate) _items.Add(value);
    }
}

/// <summary>A Salesforce client over a recorded-response handler and a fake clock.</summary>
internal sealed class TestSalesforce : IDisposable
{
    public RecordedHttpHandler Http { get; } = new();
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
    public RecordingProgress<CrmClientEvent> Events { get; } = new();
    public RecordingProgress<CrmApiUsage> Usage { get; } = new();
    public SalesforceClient Client { get; }

    public TestSalesforce(Func<CrmConnectionSettings, CrmConnectionSettings>? configure = null, CrmResilienceOptions? resilience = null,
        double reserve = 0.1)
    {
        var settings = new CrmConnectionSettings
        {
            Kind = CrmKind.Salesforce,
            Username = "sync@example.com",
            Password = SecretValue.Copy("pa<ss&word"),
            SecurityToken = SecretValue.Copy("TOKEN123"),
            ApiVersion = "59.0",
        };
        if (configure is not null) settings = configure(settings);
        Client = new SalesforceClient(settings, new CrmClientOptions
        {
            PrimaryHandler = Http,
            TimeProvider = Time,
            Events = Events,
            ApiUsage = Usage,
            ApiReserveFraction = reserve,
            Resilience = resilience ?? new CrmResilienceOptions { MaxRetryAttempts = 0 },
        });
    }

    public const string Instance = "https://na15.salesforce.com";

    /// <summary>Scripts the SOAP login (recorded response) on the production host.</summary>
    public TestSalesforce ExpectSoapLogin(string host = "https://login.salesforce.com")
    {
        Http.Expect(HttpMethod.Post, host + "/services/Soap/u/59.0", System.Net.HttpStatusCode.OK, Fixtures.Text("soap-login-response.xml"), "text/xml");
        return this;
    }

    public void Dispose()
    {
        Client.Dispose();
        Http.Dispose();
    }
}
