using Polly;

namespace CrmSync.Engine.Resilience;

/// <summary>
/// Runs every request through one shared resilience pipeline. Each attempt sends a fresh copy of the request
/// (the body is buffered once) and reads the response body inside the attempt, so the attempt timeout covers it
/// and a broken body read is retried like any other transient failure; except the successful answer of a request marked
/// <see cref="CrmRequestOptions.StreamedResponse"/>, which its caller reads (and retries) itself.
/// </summary>
public sealed class ResilienceHttpHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public ResilienceHttpHandler(ResiliencePipeline<HttpResponseMessage> pipeline, HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(CrmResiliencePipeline.IdempotentProperty, CrmRequestOptions.IsIdempotent(request));
            context.Properties.Set(CrmResiliencePipeline.SoapProperty, CrmRequestOptions.IsSoap(request));
            context.Properties.Set(CrmResiliencePipeline.RequestDescriptionProperty,
                $"{request.Method} {request.RequestUri?.Host}{request.RequestUri?.AbsolutePath}");
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    using var attempt = Copy(state.request, state.body);
                    var response = await state.handler.SendInner(attempt, ctx.CancellationToken).ConfigureAwait(false);
                    try
                    {
                        // A streamed answer (CrmRequestOptions.StreamedResponse) is read by the caller; an error body is always buffered.
                        if (state.streamed && response.IsSuccessStatusCode)
                            return response;
                        await BufferAsync(response, ctx.CancellationToken).ConfigureAwait(false);
                        return response;
                    }
                    catch
                    {
                        response.Dispose();
                        throw;
                    }
                },
                context,
                (request, body, handler: this, streamed: CrmRequestOptions.IsStreamedResponse(request))).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            // The buffered body may hold credentials (a login): no attempt can use it any more.
            if (body is not null) Array.Clear(body);
        }
    }

    private Task<HttpResponseMessage> SendInner(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private static HttpRequestMessage Copy(HttpRequestMessage source, byte[]? body)
    {
        var copy = new HttpRequestMessage(source.Method, source.RequestUri)
        {
            Version = source.Version,
            VersionPolicy = source.VersionPolicy,
        };
        foreach (var header in source.Headers)
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in source.Content!.Headers)
                copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        foreach (var option in source.Options)
            ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        return copy;
    }

    private static async Task BufferAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var buffered = new BufferedContent(bytes);
        foreach (var header in response.Content.Headers)
            buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content.Dispose();
        response.Content = buffered;
    }
}

/// <summary>
/// A response body the resilience handler read to its end (so a failure mid-body is retried as a whole): its bytes are
/// readable as they are (<see cref="Bytes"/>), so a JSON body is parsed where it lies instead of being copied again.
/// </summary>
internal sealed class BufferedContent(byte[] bytes) : ByteArrayContent(bytes)
{
    /// <summary>The body, as received (decompressed).</summary>
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    /// <summary>
    /// Parses a JSON response body from its UTF-8 bytes (where they lie when the handler buffered them, else from the
    /// stream), never from a UTF-16 string copy: a page of thousands of records is megabytes, and its string was twice that
    /// again on the large object heap. A leading byte order mark is skipped. Throws <see cref="System.Text.Json.JsonException"/>
    /// for a body that is not JSON (each CRM's session maps it to its protocol error).
    /// </summary>
    public static async Task<System.Text.Json.JsonDocument> ParseJsonAsync(HttpContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content is BufferedContent buffered)
        {
            var bytes = buffered.Bytes;
            if (bytes.Span.StartsWith("\uFEFF"u8))
                bytes = bytes[3..]; // the stream parser skips it; this one would not
            return System.Text.Json.JsonDocument.Parse(bytes);
        }
        var body = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
            return await System.Text.Json.JsonDocument.ParseAsync(body, default, cancellationToken).ConfigureAwait(false);
    }
}
