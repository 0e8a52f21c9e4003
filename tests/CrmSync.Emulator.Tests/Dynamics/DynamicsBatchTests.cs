using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CrmSync.Emulator.Tests.Dynamics;

public sealed class DynamicsBatchTests
{
    private sealed record Part(string? ContentId, int Status, Dictionary<string, string> Headers, string Body);

    private static async Task<(HttpStatusCode Status, string ContentType, string Body)> PostBatch(DataverseTestEmulator emu, string body, string boundary, string? prefer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, DataverseTestEmulator.Api + "$batch");
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/mixed; boundary=\"{boundary}\"");
        if (prefer is not null)
        {
            request.Headers.TryAddWithoutValidation("Prefer", prefer);
        }
        using var response = await emu.Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType!.ToString(), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Parses a batch response (nested change sets flattened) the way the docs show it.</summary>
    private static List<Part> Parse(string contentType, string body)
    {
        string boundary = Regex.Match(contentType, "boundary=\"?([^\";]+)").Groups[1].Value;
        var parts = new List<Part>();
        foreach (var chunk in body.Split("--" + boundary).Skip(1))
        {
            if (chunk.StartsWith("--", StringComparison.Ordinal))
            {
                break;
            }
            var inner = Regex.Match(chunk, "Content-Type: multipart/mixed; boundary=(changesetresponse_[0-9a-f-]+)");
            if (inner.Success)
            {
                parts.AddRange(Parse("boundary=" + inner.Groups[1].Value, chunk));
                continue;
            }
            string? contentId = Regex.Match(chunk, "Content-ID: (\\S+)") is { Success: true } m ? m.Groups[1].Value : null;
            var status = Regex.Match(chunk, "HTTP/1.1 (\\d{3}) ");
            int split = chunk.IndexOf("\r\n\r\n", chunk.IndexOf("HTTP/1.1", StringComparison.Ordinal), StringComparison.Ordinal);
            var headers = chunk[chunk.IndexOf("HTTP/1.1", StringComparison.Ordinal)..split].Split("\r\n").Skip(1)
                .Select(l => l.Split(": ", 2)).ToDictionary(a => a[0], a => a[1], StringComparer.OrdinalIgnoreCase);
            parts.Add(new Part(contentId, int.Parse(status.Groups[1].Value), headers, chunk[(split + 4)..].Trim()));
        }
        return parts;
    }

    /// <summary>The documented change-set request, with tasks (not emulated) swapped for contacts under an account.</summary>
    private static string DocumentedRequest(Guid accountId, string lastSubject = "Task 3 in batch")
    {
        string text = DynamicsFixtures.Text("batch-request-changeset.http");
        text = text[text.IndexOf("--batch_", StringComparison.Ordinal)..];
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal)
            .Replace("POST /api/data/v9.2/tasks", "POST /api/data/v9.2/contacts", StringComparison.Ordinal)
            .Replace("\"subject\"", "\"lastname\"", StringComparison.Ordinal)
            .Replace("regardingobjectid_account_task@odata.bind", "parentcustomerid_account@odata.bind", StringComparison.Ordinal)
            .Replace("00000000-0000-0000-0000-000000000001", accountId.ToString(), StringComparison.Ordinal)
            .Replace("Task 3 in batch", lastSubject, StringComparison.Ordinal)
            .Replace($"accounts({accountId})/Account_Tasks?$select=subject", $"contacts?$select=lastname&$filter=_parentcustomerid_value%20eq%20{accountId}&$orderby=lastname", StringComparison.Ordinal);
        return text;
    }

    private const string Boundary = "batch_22975cad-7f57-410d-be15-6363209367ea";

    [Fact]
    public async Task The_documented_change_set_request_runs_and_answers_like_the_documented_response()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var account = await emu.CreateAsync("accounts", new { name = "Batch account" });
        var (status, contentType, body) = await PostBatch(emu, DocumentedRequest(account), Boundary);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("multipart/mixed; boundary=batchresponse_", contentType);
        Assert.Matches("Content-Type: multipart/mixed; boundary=changesetresponse_[0-9a-f-]{36}\r\n", body);
        var parts = Parse(contentType, body);
        var expected = Parse("boundary=batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f",
            DynamicsFixtures.Text("batch-response-changeset.http").Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        Assert.Equal(expected.Select(p => (p.ContentId, p.Status)), parts.Select(p => (p.ContentId, p.Status)));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].Headers.Keys.Order(), parts[i].Headers.Keys.Order());
            Assert.Matches($"^{Regex.Escape(emu.OrgUrl)}/api/data/v9.2/contacts\\([0-9a-f-]{{36}}\\)$", parts[i].Headers["OData-EntityId"]);
        }
        var query = JsonNode.Parse(parts[3].Body)!;
        Assert.Equal(["Task 1 in batch", "Task 2 in batch", "Task 3 in batch"], query["value"]!.AsArray().Select(v => v!["lastname"]!.GetValue<string>()));
        Assert.StartsWith("application/json; odata.metadata=minimal", parts[3].Headers["Content-Type"]);
    }

    [Fact]
    public async Task A_failing_change_set_rolls_back_and_stops_the_batch_with_400_and_only_the_failing_part()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        var account = await emu.CreateAsync("accounts", new { name = "Batch account" });
        var (status, contentType, body) = await PostBatch(emu, DocumentedRequest(account, new string('x', 51)), Boundary);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var part = Assert.Single(Parse(contentType, body));
        Assert.Equal(400, part.Status);
        var fixture = Parse("boundary=batchresponse_156da4b8-cd2c-4862-a911-4aaab97c001a",
            DynamicsFixtures.Text("batch-response-error-400-stop-on-error.http").Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal)).Single();
        Assert.Equal(JsonNode.Parse(fixture.Body)!["error"]!["code"]!.GetValue<string>(), JsonNode.Parse(part.Body)!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("3", part.ContentId);
        Assert.Equal(0, (await emu.GetAsync($"contacts?$filter=_parentcustomerid_value eq {account}&$count=true")).Body!["@odata.count"]!.GetValue<int>());
    }

    private static string Single(string boundary, string method, string url, string? json = null, string? contentId = null) =>
        $"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{(contentId is null ? "" : $"Content-ID: {contentId}\r\n")}\r\n" +
        $"{method} {url} HTTP/1.1\r\n{(json is null ? "" : "Content-Type: application/json; type=entry\r\n")}\r\n{json ?? ""}\r\n";

    [Fact]
    public async Task Continue_on_error_runs_every_request_and_answers_200_with_each_status()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        const string b = "batch_continue";
        string body = Single(b, "POST", "/api/data/v9.2/contacts", $"{{\"lastname\":\"{new string('y', 51)}\"}}")
                      + Single(b, "POST", "/api/data/v9.2/contacts", "{\"lastname\":\"Second\"}")
                      + Single(b, "POST", "contacts", "{\"lastname\":\"Third\"}")
                      + $"--{b}--\r\n";
        var (status, contentType, text) = await PostBatch(emu, body, b, "odata.continue-on-error");
        Assert.Equal(HttpStatusCode.OK, status);
        var parts = Parse(contentType, text);
        var expected = Parse("boundary=batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139",
            DynamicsFixtures.Text("batch-response-continue-on-error.http").Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        Assert.Equal(expected.Select(p => p.Status), parts.Select(p => p.Status));
        Assert.Equal(2, (await emu.GetAsync("contacts?$count=true")).Body!["@odata.count"]!.GetValue<int>());

        // Without the preference the same batch stops at the first error.
        (status, contentType, text) = await PostBatch(emu, body, b);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(Parse(contentType, text));
        Assert.Equal(2, (await emu.GetAsync("contacts?$count=true")).Body!["@odata.count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Content_ID_references_resolve_in_urls_and_binds_and_forward_references_fail()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        const string b = "batch_refs";
        const string c = "changeset_refs";
        string changeSet = $"--{b}\r\nContent-Type: multipart/mixed; boundary={c}\r\n\r\n"
            + Single(c, "POST", "/api/data/v9.2/accounts", "{\"name\":\"Parent\"}", "1")
            + Single(c, "POST", "/api/data/v9.2/contacts", "{\"lastname\":\"Child\",\"parentcustomerid_account@odata.bind\":\"$1\"}", "2")
            + Single(c, "PATCH", "$2", "{\"jobtitle\":\"Patched through $2\"}", "3")
            + $"--{c}--\r\n";
        var (status, contentType, text) = await PostBatch(emu, changeSet + $"--{b}--\r\n", b);
        Assert.Equal(HttpStatusCode.OK, status);
        var parts = Parse(contentType, text);
        Assert.Equal([204, 204, 204], parts.Select(p => p.Status));
        var contact = parts[1].Headers["OData-EntityId"];
        var (_, row, _) = await emu.GetAsync(contact[emu.OrgUrl.Length..] + "?$select=jobtitle,_parentcustomerid_value");
        Assert.Equal("Patched through $2", row!["jobtitle"]!.GetValue<string>());
        Assert.EndsWith(row["_parentcustomerid_value"]!.GetValue<string>() + ")", parts[0].Headers["OData-EntityId"]);

        string forward = $"--{b}\r\nContent-Type: multipart/mixed; boundary={c}\r\n\r\n"
            + Single(c, "POST", "/api/data/v9.2/contacts", "{\"lastname\":\"Orphan\",\"parentcustomerid_account@odata.bind\":\"$9\"}", "1")
            + $"--{c}--\r\n--{b}--\r\n";
        (status, contentType, text) = await PostBatch(emu, forward, b);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Content-ID Reference: '$9' does not exist in the batch context.", text);
    }

    [Fact]
    public async Task CreateMultiple_inside_a_change_set_rolls_back_with_it()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        const string b = "batch_multi";
        const string c = "changeset_multi";
        string body = $"--{b}\r\nContent-Type: multipart/mixed; boundary={c}\r\n\r\n"
            + Single(c, "POST", "/api/data/v9.2/leads/Microsoft.Dynamics.CRM.CreateMultiple", "{\"Targets\":[{\"lastname\":\"A\"},{\"lastname\":\"B\"}]}", "1")
            + Single(c, "POST", "/api/data/v9.2/leads", $"{{\"lastname\":\"{new string('x', 51)}\"}}", "2")
            + $"--{c}--\r\n--{b}--\r\n";
        var (status, _, _) = await PostBatch(emu, body, b);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(0, (await emu.GetAsync("leads?$count=true")).Body!["@odata.count"]!.GetValue<int>());
        var (ok, _, _) = await PostBatch(emu, body.Replace(new string('x', 51), "C", StringComparison.Ordinal), b);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(3, (await emu.GetAsync("leads?$count=true")).Body!["@odata.count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Limits_and_malformed_batches()
    {
        await using var emu = await DataverseTestEmulator.StartAsync();
        const string b = "batch_many";
        var many = new StringBuilder();
        for (int i = 0; i < 1001; i++)
        {
            many.Append(Single(b, "GET", "/api/data/v9.2/WhoAmI"));
        }
        many.Append($"--{b}--\r\n");
        var (status, _, text) = await PostBatch(emu, many.ToString(), b);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("1000", text);

        const string c = "changeset_get";
        string withGet = $"--{b}\r\nContent-Type: multipart/mixed; boundary={c}\r\n\r\n" + Single(c, "GET", "/api/data/v9.2/WhoAmI", null, "1") + $"--{c}--\r\n--{b}--\r\n";
        (status, _, _) = await PostBatch(emu, withGet, b);
        Assert.Equal(HttpStatusCode.BadRequest, status);

        var thousand = new StringBuilder();
        for (int i = 0; i < 1000; i++)
        {
            thousand.Append(Single(b, "GET", "/api/data/v9.2/WhoAmI"));
        }
        thousand.Append($"--{b}--\r\n");
        (status, var contentType, text) = await PostBatch(emu, thousand.ToString(), b);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1000, Parse(contentType, text).Count);
    }
}
