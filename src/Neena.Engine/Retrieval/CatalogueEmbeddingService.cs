using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Neena.Engine.Retrieval;

/// <summary>
/// Brings the catalogue's embeddings up to date once, in the background, after the server started (the catalogue was
/// synchronised before). Failure is not fatal: the first plan refreshes again.
/// </summary>
internal sealed class CatalogueEmbeddingService(TaskDefinitionIndex index, IOptions<RetrievalOptions> options, ILogger<CatalogueEmbeddingService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.EmbedAtStartup)
            return;
        try
        {
            await index.RefreshAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; the next start or the first plan finishes the job.
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or Microsoft.EntityFrameworkCore.DbUpdateException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            logger.LogWarning(e, "Embedding the task catalogue failed; the first plan will try again");
        }
    }
}
