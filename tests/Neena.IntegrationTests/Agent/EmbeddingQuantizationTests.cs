using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using Neena.Agent.Retrieval;
using Neena.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.IntegrationTests.Agent;

/// <summary>The int8 rewrite of the embedding model against the fp32 model it is made from, over the real catalogue.</summary>
public sealed class EmbeddingQuantizationTests(NeenaFactory factory, ITestOutputHelper output) : IClassFixture<NeenaFactory>
{
    // Measured over the built-in catalogue's texts and the requests below: the lowest cosine was 0.9926 (docs/agent.md,
    // Retrieval). A rewrite with the weights' scales halved (the largest weights clipped) measured 0.9794.
    private const double CosineBound = 0.985;

    private static readonly string[] Requests =
    [
        "Pause for ten seconds before continuing",
        "Call the weather API over HTTP and return its JSON",
        "Fill a template with the customer's name",
        "Post a message to the #general Slack channel",
        "Find the Slack user with the email ada@example.com and mention them",
        "React with a thumbs up to the Slack message",
        "List our Slack channels",
        "Add a comment to the Trello card",
        "Add a Done column to the Trello board",
        "Open the Trello card and show its details",
        "Delete the Trello card",
        "Send a greeting composed from the request's name",
    ];

    private async Task<List<string>> TextsAsync()
    {
        _ = factory.Server;
        await using var db = factory.CreateDbContext();
        var definitions = await db.TaskDefinitions.AsNoTracking().Include(d => d.Integration).ToListAsync();
        return [.. definitions.Select(d => TaskDefinitionIndex.EmbeddingText(d, d.Integration!.Name)), .. Requests];
    }

    [Fact]
    public async Task Quantized_CatalogueAndRequests_StayWithinTheCosineBoundOfFp32()
    {
        var texts = await TextsAsync();
        using var fp32 = EmbeddingModel.Load(quantized: false, warn: message => Assert.Fail(message));
        using var int8 = EmbeddingModel.Load(quantized: true, warn: message => Assert.Fail(message));
        // Warm both (the first run sizes the arena), then time one text at a time, as the embedder encodes.
        fp32.Encode([texts[0]], CancellationToken.None);
        int8.Encode([texts[0]], CancellationToken.None);

        var cosines = new List<double>();
        TimeSpan fp32Time = default, int8Time = default;
        foreach (var text in texts)
        {
            var started = Stopwatch.GetTimestamp();
            var expected = fp32.Encode([text], CancellationToken.None)[0];
            fp32Time += Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            var actual = int8.Encode([text], CancellationToken.None)[0];
            int8Time += Stopwatch.GetElapsedTime(started);
            cosines.Add(SentenceEmbedder.Cosine(expected, actual));
        }

        output.WriteLine($"{texts.Count} texts: cosine min {cosines.Min():0.0000}, mean {cosines.Average():0.0000}; "
            + $"encoding fp32 {fp32Time.TotalMilliseconds / texts.Count:0.0} ms, int8 {int8Time.TotalMilliseconds / texts.Count:0.0} ms per text");
        Assert.True(cosines.Min() >= CosineBound, $"lowest cosine {cosines.Min()}");
    }

    [Fact]
    public void Load_RegistersTheProcessArenaThatGrowsByWhatIsAsked()
    {
        using var int8 = EmbeddingModel.Load(quantized: true, warn: message => Assert.Fail(message));
        int8.Encode(["Post a message to the #general Slack channel"], CancellationToken.None);

        // The model registered the process's CPU allocator when it loaded: there is one to take away (and it is put back
        // as it was, for the sessions the other tests load).
        OrtEnv.Instance().UnregisterAllocator(OrtMemoryInfo.DefaultInstance);
        using var config = new OrtArenaCfg(maxMemory: 0, arenaExtendStrategy: 1, initialChunkSizeBytes: -1, maxDeadBytesPerChunk: -1);
        OrtEnv.Instance().CreateAndRegisterAllocator(OrtMemoryInfo.DefaultInstance, config);
        Assert.True(EmbeddingModel.RegisterArena());
    }

    [Fact]
    public async Task QuantizedModel_SecondLoad_ReusesTheCachedFile()
    {
        var fp32 = EmbeddingModel.ExtractModel();
        var first = EmbeddingModel.QuantizedModel(fp32);
        var written = File.GetLastWriteTimeUtc(first);

        var second = EmbeddingModel.QuantizedModel(fp32);

        Assert.Equal(first, second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second));
        Assert.Contains(ModelQuantizer.Scheme, Path.GetFileName(second), StringComparison.Ordinal);
        // int8 weights: about a quarter of the fp32 file (the small float tensors and the scales stay).
        Assert.InRange(new FileInfo(second).Length, 1, new FileInfo(fp32).Length * 3 / 10);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(second)!, "*.partial"));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Embedder_QuantizedOff_EncodesWithTheFp32ModelAndKeysVectorsByIt()
    {
        await using var exact = factory.WithWebHostBuilder(b => b.UseSetting("Embedding:Quantized", "false"));
        var embedder = exact.Services.GetRequiredService<SentenceEmbedder>();
        var quantized = factory.Services.GetRequiredService<SentenceEmbedder>();
        using var fp32 = EmbeddingModel.Load(quantized: false, warn: message => Assert.Fail(message));
        const string text = "Post a message to the #general Slack channel";

        var vector = (await embedder.EmbedAsync([text], CancellationToken.None))[0];

        Assert.Equal(fp32.Encode([text], CancellationToken.None)[0], vector);
        Assert.Equal(SentenceEmbedder.Fp32ModelName, embedder.ModelName);
        Assert.Equal(SentenceEmbedder.QuantizedModelName, quantized.ModelName);
        Assert.NotEqual(TaskDefinitionIndex.Hash(embedder.ModelName, text), TaskDefinitionIndex.Hash(quantized.ModelName, text));
    }
}
