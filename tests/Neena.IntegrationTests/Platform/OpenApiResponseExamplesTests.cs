namespace Neena.IntegrationTests.Platform;

/// <summary>
/// Every success answer with a JSON body has an example (Swagger UI showed <c>additionalProp1</c> and <c>"string"</c>,
/// issue 22). That each example is valid against its schema is checked by Spectral in OpenApiLintTests.
/// </summary>
public sealed partial class OpenApiTests
{
    [Fact]
    public async Task SwaggerJson_EverySuccessAnswer_HasAnExample()
    {
        var doc = await DocumentAsync();

        var answers = (from o in Operations(doc)
                       from response in o.Operation["responses"]!.AsObject()
                       where response.Key.StartsWith('2') && response.Value!["content"]?["application/json"] is not null
                       select (Where: $"{o.Method.ToUpperInvariant()} {o.Path} {response.Key}", Media: response.Value!["content"]!["application/json"]!)).ToList();

        Assert.True(answers.Count > 100, $"{answers.Count} answers");
        Assert.Empty(answers.Where(a => a.Media["example"] is null).Select(a => a.Where));
    }
}
