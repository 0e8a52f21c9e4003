using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CrmSync.Emulator.Faults;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsLimitsAndFaultTests
{
    [Fact]
    public async Task Every_answer_carries_the_rate_limit_headers()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var (_, _, first) = await emu.GetAsync("WhoAmI");
        var (_, _, second) = await emu.GetAsync("leads?$select=lastname");
        var (_, _, failed) = await emu.GetAsync("nosuchset");
        int Burst(HttpResponseMessage r) => int.Parse(r.Headers.GetValues("x-ms-ratelimit-burst-remaining-xrm-requests").Single());
        Assert.Equal(5999, Burst(first));
        Assert.Equal(5998, Burst(second));
        Assert.Equal(5997, Burst(failed));
        string time = second.Headers.GetValues("x-ms-ratelimit-time-remaining-xrm-requests").Single();
        Assert.Matches("^1,(1|2)\\d\\d\\.\\d\\d$", time); // seconds, as real orgs write it: "1,200.00"
        Assert.True(double.Parse(time, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture) <= 1_200);
        Assert.Equal("4", second.Headers.GetValues("x-ms-dop-hint").Single());
    }

    [Fact]
    public async Task The_request_limit_answers_429_with_Retry_After_until_the_window_slides()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        emu.Org.Settings.RequestLimit = 5;
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
            emu.Clock.Advance(TimeSpan.FromSeconds(10));
        }
        var (status, body, response) = await emu.GetAsync("WhoAmI");
        Assert.Equal((HttpStatusCode)429, status);
        Assert.Equal("0x80072322", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Number of requests exceeded the limit of 5 over time window of 300 seconds.", body["error"]!["message"]!.GetValue<string>());
        // The oldest request entered at 10:00:00 and leaves the window at 10:05:00; now is 10:00:50.
        Assert.Equal(250, (int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        Assert.Equal("0", response.Headers.GetValues("x-ms-ratelimit-burst-remaining-xrm-requests").Single());
        // Other users keep their own budget.
        using var other = new HttpClient { BaseAddress = new Uri(emu.OrgUrl) };
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await emu.UserTokenAsync(emu.Org.Credentials.SyncUserUpn));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/data/v9.2/WhoAmI")).StatusCode);
        emu.Clock.Advance(TimeSpan.FromSeconds(251));
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
    }

    [Fact]
    public async Task The_execution_time_limit_answers_429_0x80072321()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        emu.Org.Settings.SimulatedExecutionMs = 500_000;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
        }
        var (status, body, response) = await emu.GetAsync("WhoAmI");
        Assert.Equal((HttpStatusCode)429, status);
        Assert.Equal("0x80072321", body!["error"]!["code"]!.GetValue<string>());
        Assert.StartsWith("Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds.", body["error"]!["message"]!.GetValue<string>());
        Assert.True(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds >= 1);
    }

    [Fact]
    public async Task The_concurrency_limit_trips_at_once_with_0x80072326()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        emu.Org.Settings.ConcurrencyLimit = 2;
        // Two slow requests (latency is served after admission, so they stay in flight); wait until both are in.
        emu.Org.Faults.Add(new FaultRule { Kind = FaultKind.Latency, Delay = TimeSpan.FromSeconds(2), PathContains = "/leads", Count = 2 });
        var slow = new[] { emu.GetAsync("leads?$select=lastname"), emu.GetAsync("leads?$select=lastname") };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (emu.Org.Protection.InFlight(emu.Org.ApplicationUser.Id) < 2 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }
        var (status, body, _) = await emu.GetAsync("WhoAmI");
        Assert.Equal((HttpStatusCode)429, status);
        Assert.Equal("0x80072326", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Number of concurrent requests exceeded the limit of 2.", body["error"]!["message"]!.GetValue<string>());
        Assert.All(await Task.WhenAll(slow), r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
    }

    [Fact]
    public async Task Fault_rules_answer_5xx_and_429_storms_with_Dataverse_bodies_and_drop_connections()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        emu.Org.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 429, RetryAfterSeconds = 7, Count = 3, PathContains = "/api/data/" });
        for (int i = 0; i < 3; i++)
        {
            var (status, body, response) = await emu.GetAsync("WhoAmI");
            Assert.Equal((HttpStatusCode)429, status);
            Assert.Equal("0x80072322", body!["error"]!["code"]!.GetValue<string>());
            Assert.Equal(7, (int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
        }
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
        emu.Org.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 503, Count = 1 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await emu.GetAsync("WhoAmI")).Status);
        emu.Org.Faults.Add(new FaultRule { Kind = FaultKind.DropConnection, Count = 1, Method = "POST" });
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => emu.SendAsync(HttpMethod.Post, "leads", new { lastname = "Dropped" }));
        Assert.Empty((await emu.GetAsync("leads")).Body!["value"]!.AsArray());
        // Salesforce's fault rules do not reach the Dataverse org and vice versa.
        emu.Host.Faults.Add(new FaultRule { Kind = FaultKind.HttpStatus, StatusCode = 500 });
        Assert.Equal(HttpStatusCode.OK, (await emu.GetAsync("WhoAmI")).Status);
    }

    [Fact]
    public async Task A_per_record_fault_fails_one_request_inside_a_batch_and_a_change_set_rolls_back()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var ids = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(await emu.CreateAsync("contacts", new { lastname = "R" + i }));
        }
        emu.Org.Faults.Add(new FaultRule { Kind = FaultKind.RecordError, StatusCode = 500, ErrorCode = "0x80044150", RecordIds = [ids[1].ToString()], Count = 2 });
        string Part(string b, Guid id, string extra = "") =>
            $"--{b}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{extra}\r\nPATCH /api/data/v9.2/contacts({id}) HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{{\"jobtitle\":\"X\"}}\r\n";
        async Task<(HttpStatusCode, string)> Post(string body, string boundary, bool continueOnError)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, DataverseTestEmulator.Api + "$batch") { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/mixed; boundary={boundary}");
            if (continueOnError)
            {
                request.Headers.TryAddWithoutValidation("Prefer", "odata.continue-on-error");
            }
            using var response = await emu.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var (status, text) = await Post(string.Concat(ids.Select(id => Part("b1", id))) + "--b1--\r\n", "b1", true);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["204", "500", "204"], System.Text.RegularExpressions.Regex.Matches(text, "HTTP/1.1 (\\d{3})").Select(m => m.Groups[1].Value));
        Assert.Contains("{\"error\":{\"code\":\"0x80044150\",\"message\":\"Generic SQL error.\"}}", text);

        string changeSet = "--b2\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n" + Part("cs", ids[0], "Content-ID: 1\r\n") + Part("cs", ids[1], "Content-ID: 2\r\n") + "--cs--\r\n--b2--\r\n";
        await emu.SendAsync(HttpMethod.Patch, $"contacts({ids[0]})", new { jobtitle = "Before" });
        (status, _) = await Post(changeSet, "b2", false);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Before", (await emu.GetAsync($"contacts({ids[0]})?$select=jobtitle")).Body!["jobtitle"]!.GetValue<string>());
    }
}
