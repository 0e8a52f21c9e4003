using System.Net;
using System.Text;
using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>The "URL reachable" row of both CRMs' connection validators: one anonymous GET, judged without credentials.</summary>
public sealed class EndpointCheckTests
{
    private sealed class OneAnswer(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            Assert.Null(request.Headers.Authorization);
            return Task.FromResult(answer(request));
        }
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string body, string mediaType) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    private static Task<CrmConnectionCheck> Check(ICrmProvider provider, Uri url, HttpMessageHandler handler) =>
        provider.ConnectionValidator.CheckEndpointAsync(provider.SavedEndpoints(url.ToString(), null), new CrmClientOptions { PrimaryHandler = handler },
            CancellationToken.None);

    [Fact]
    public async Task Salesforce_passes_a_host_that_lists_the_api_versions_and_fails_one_that_does_not()
    {
        var salesforce = new OneAnswer(_ => Answer(HttpStatusCode.OK, """[{"version":"59.0"}]""", "application/json"));
        var passed = await Check(CrmProviders.Salesforce, new Uri("https://login.example.com/some/path"), salesforce);
        Assert.Equal(new Uri("https://login.example.com/services/data/"), Assert.Single(salesforce.Requests));
        Assert.Equal((CrmConnectionCheck.Names.UrlReachable, "https://login.example.com", ConnectionCheckResult.Passed), (passed.Check, passed.Target, passed.Result));
        Assert.Equal("login.example.com answers as Salesforce (GET /services/data/ lists the API versions).", passed.Detail);
        Assert.Equal("", passed.WhatToDo);

        var failed = await Check(CrmProviders.Salesforce, new Uri("https://login.example.com"), new OneAnswer(_ => Answer(HttpStatusCode.NotFound, "<html/>", "text/html")));
        Assert.Equal(ConnectionCheckResult.Failed, failed.Result);
        Assert.Equal("login.example.com answered, but not as Salesforce: GET /services/data/ gave HTTP 404, text/html.", failed.Detail);
        Assert.Contains("[[connect login-url]]", failed.WhatToDo);
    }

    [Fact]
    public async Task Dynamics_passes_an_org_that_answers_with_a_bearer_challenge_and_fails_one_that_does_not()
    {
        const string challenge = "Bearer authorization_uri=https://login.microsoftonline.com/tenant/oauth2/authorize";
        var org = new OneAnswer(_ =>
        {
            var r = Answer(HttpStatusCode.Unauthorized, "", "application/json");
            r.Headers.TryAddWithoutValidation("WWW-Authenticate", challenge);
            return r;
        });
        var passed = await Check(CrmProviders.Dynamics, new Uri("https://org.crm.dynamics.com/main.aspx"), org);
        Assert.Equal(new Uri("https://org.crm.dynamics.com/api/data/v9.2/"), Assert.Single(org.Requests));
        Assert.Equal((CrmConnectionCheck.Names.UrlReachable, "https://org.crm.dynamics.com", ConnectionCheckResult.Passed), (passed.Check, passed.Target, passed.Result));
        Assert.Equal($"org.crm.dynamics.com answers as a Dynamics 365 (Dataverse) organization (Web API v9.2, {challenge}).", passed.Detail);

        var failed = await Check(CrmProviders.Dynamics, new Uri("https://org.crm.dynamics.com"), new OneAnswer(_ => Answer(HttpStatusCode.OK, "{}", "application/json")));
        Assert.Equal(ConnectionCheckResult.Failed, failed.Result);
        Assert.Equal("org.crm.dynamics.com answered, but not as a Dynamics 365 (Dataverse) organization: GET /api/data/v9.2/ gave HTTP 200, application/json " +
                     "instead of 401 with a Bearer challenge.", failed.Detail);
        Assert.Contains("[[connect profile=\"<profile>\"]]", failed.WhatToDo);
    }

    [Fact]
    public async Task Both_fail_a_host_that_does_not_answer_and_refuse_plain_http_without_sending()
    {
        foreach (var provider in new[] { CrmProviders.Salesforce, CrmProviders.Dynamics })
        {
            var unreachable = await Check(provider, new Uri("https://nowhere.example.com"), new OneAnswer(_ => throw new HttpRequestException("Name or service not known")));
            Assert.Equal(ConnectionCheckResult.Failed, unreachable.Result);
            Assert.Equal("Could not reach nowhere.example.com: Name or service not known", unreachable.Detail);

            var silent = new OneAnswer(_ => throw new InvalidOperationException("no request may be sent"));
            var refused = await Check(provider, new Uri("http://crm.example.com"), silent);
            Assert.Empty(silent.Requests);
            Assert.Equal((ConnectionCheckResult.Failed, "http://crm.example.com"), (refused.Result, refused.Target));
            Assert.Contains("plain http", refused.Detail);
        }
    }
}
