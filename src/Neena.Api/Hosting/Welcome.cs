using System.Reflection;

namespace Neena.Api.Hosting;

/// <summary>
/// What a newcomer finds at the server's root: where the documentation is, instead of a refusal. Browsers go
/// straight to Swagger UI; other clients get the addresses as JSON.
/// </summary>
internal static class Welcome
{
    public const string SwaggerUi = "/swagger";
    public const string OpenApiDocument = "/swagger/v1/swagger.json";
    public const string ApiReference = "/docs/api.md";

    /// <param name="Docs">Swagger UI.</param>
    /// <param name="Openapi">The OpenAPI document.</param>
    /// <param name="ApiReference">The API reference (Markdown), the same as docs/api.md in the repository.</param>
    public sealed record WelcomeResponse(string Name, string Docs, string Openapi, string ApiReference);

    public static void MapWelcome(this WebApplication app)
    {
        foreach (var path in new[] { "/", "/api/v1" })
        {
            app.MapGet(path, (HttpRequest request) => WantsHtml(request)
                    ? Results.Redirect(SwaggerUi)
                    : Results.Json(new WelcomeResponse("Neena", SwaggerUi, OpenApiDocument, ApiReference)))
                .AllowAnonymous()
                .ExcludeFromDescription();
        }

        var reference = ReadReference();
        app.MapGet(ApiReference, () => reference is null
                ? Results.NotFound()
                : Results.Text(reference, "text/markdown; charset=utf-8"))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    private static bool WantsHtml(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static string? ReadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Neena.Api.docs.api.md");
        if (stream is null)
            return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
