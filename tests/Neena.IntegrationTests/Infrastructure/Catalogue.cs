using Microsoft.EntityFrameworkCore;

namespace Neena.IntegrationTests.Infrastructure;

public static class CatalogueLookup
{
    /// <summary>The id of a built-in task definition, by integration short name and task name.</summary>
    public static async Task<Guid> TaskDefinitionIdAsync(this NeenaFactory factory, string integration, string taskName)
    {
        _ = factory.Services; // the catalogue is synchronised when the server starts (in memory or on Kestrel)
        await using var db = factory.CreateDbContext();
        return await db.TaskDefinitions
            .Where(t => t.Integration!.ShortName == integration && t.TaskName == taskName)
            .Select(t => t.Id)
            .SingleAsync();
    }
}
