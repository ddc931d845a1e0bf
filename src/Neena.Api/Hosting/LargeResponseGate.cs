using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;

namespace Neena.Api.Hosting;

/// <summary>Settings of <see cref="LargeResponseGate"/> (configuration section <c>Performance</c>).</summary>
public sealed class PerformanceOptions
{
    public const string SectionName = "Performance";

    /// <summary>
    /// How many large list answers (<see cref="LargeResponseAttribute"/>) are built and written at once; further ones wait
    /// their turn. 0: eight times the processor count.
    /// </summary>
    /// <remarks>
    /// Twice the processor count while an answer was held whole until its last byte; now that it streams from the rows
    /// (a pipe's few blocks and the run rows per answer), four answers at once on two cores left the cores idle between
    /// PostgreSQL sending rows and the client reading them, and the lists at 16 and 64 clients lost half their
    /// throughput to the gate on a busy machine (issue 23). Each answer holds a database connection while it streams, so
    /// the default stays well below the pool's size.
    /// </remarks>
    public int MaxConcurrentLargeResponses { get; set; }

    public int EffectiveMaxConcurrentLargeResponses => MaxConcurrentLargeResponses > 0 ? MaxConcurrentLargeResponses : 8 * Environment.ProcessorCount;
}

/// <summary>
/// Marks an action whose answer can run to megabytes (a page of flow runs with their task runs), so that only a few are
/// built and written at once (<see cref="LargeResponseGate"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LargeResponseAttribute : ServiceFilterAttribute
{
    public LargeResponseAttribute()
        : base(typeof(LargeResponseGate))
    {
    }
}

/// <summary>
/// A bulkhead for large answers. Building one is CPU work on bytes that live until the last of them is written: with many
/// at once on few cores, none finishes sooner (the CPU is the limit either way), but every one of them holds its megabytes
/// for longer, long enough to be promoted by the garbage collector, which is what drove the server's peak memory. Waiting
/// requests hold nothing but their place; one whose client goes away stops waiting. The gate wraps the whole action and
/// the writing of its result (the slot is freed when the response completes), and only authenticated, validated requests reach it (it runs after model binding).
/// </summary>
internal sealed class LargeResponseGate(IOptions<PerformanceOptions> options) : IAsyncActionFilter, IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.EffectiveMaxConcurrentLargeResponses, options.Value.EffectiveMaxConcurrentLargeResponses);

    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        await _slots.WaitAsync(context.HttpContext.RequestAborted);
        context.HttpContext.Response.RegisterForDispose(new Release(_slots));
        await next();
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>Frees the slot once the response is complete (written, or abandoned), whatever happened on the way.</summary>
    private sealed class Release(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                slots.Release();
        }
    }
}
