namespace Neena.IntegrationTests.Docs;

/// <summary>The reading of the <c># → NNN</c> convention that <see cref="DocsExamplesTests"/> relies on, without a server.</summary>
public sealed class DocsExamplesConventionTests
{
    private const string Page = """
        # Title

        ```bash
        ID=$(curl -s "$NEENA/a" | jq -r .id)   # → 200
        until curl -s "$NEENA/b?id=$ID" | jq -e .done; do sleep 0.2; done   # → 200 ×N
        curl -X PUT "$NEENA/c"   # → 409 already done
        ```

        ```json
        {"not": "run"}
        ```
        """;

    [Fact]
    public void Parse_FindsCurlBlocksAndTheirDocumentedStatuses()
    {
        var block = Assert.Single(DocsExamples.Parse(Page));
        Assert.Equal("bash", block.Language);
        Assert.Equal(3, block.Line);
        Assert.Equal([(200, false), (200, true), (409, false)], block.Expected);
        Assert.Equal(3, DocsExamples.CurlCount(block.Text));
    }

    [Theory]
    [InlineData(new[] { 200, 200, 409 }, true)]
    [InlineData(new[] { 200, 200, 200, 200, 409 }, true)]
    [InlineData(new[] { 200, 409 }, false)]
    [InlineData(new[] { 200, 200, 200 }, false)]
    [InlineData(new[] { 404, 200, 409 }, false)]
    [InlineData(new[] { 200, 200, 409, 200 }, false)]
    public void Compare_AcceptsExactlyTheDocumentedAnswers(int[] calls, bool ok)
    {
        var block = Assert.Single(DocsExamples.Parse(Page));
        Assert.Equal(ok, !DocsExamples.Compare(block, calls).Any());
    }
}
