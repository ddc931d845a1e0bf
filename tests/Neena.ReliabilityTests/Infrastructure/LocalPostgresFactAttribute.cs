using Neena.DevDatabase;

namespace Neena.ReliabilityTests.Infrastructure;

/// <summary>A test that stops and starts PostgreSQL itself, so it needs the local binaries; skipped (with the reason) without them.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LocalPostgresFactAttribute : FactAttribute
{
    public LocalPostgresFactAttribute()
    {
        if (LocalPostgresCluster.FindBinDirectory() is null)
            Skip = "Needs PostgreSQL's binaries (initdb, pg_ctl) to stop and restart a cluster of its own: apt-get install postgresql.";
    }
}
