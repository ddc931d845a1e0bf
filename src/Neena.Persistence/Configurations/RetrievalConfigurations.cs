using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.Catalogue;

namespace Neena.Persistence.Configurations;

internal sealed class TaskDefinitionEmbeddingConfiguration : IEntityTypeConfiguration<TaskDefinitionEmbedding>
{
    public void Configure(EntityTypeBuilder<TaskDefinitionEmbedding> builder)
    {
        builder.ToTable("task_definition_embeddings");
        builder.HasKey(e => e.TaskDefinitionId);
        builder.Property(e => e.TextHash).HasMaxLength(64);
        // real[]: pgvector is not assumed; the catalogue is small enough to compare in memory.
        builder.Property(e => e.Vector).HasColumnType("real[]");
        builder.HasOne<TaskDefinition>().WithOne().HasForeignKey<TaskDefinitionEmbedding>(e => e.TaskDefinitionId).OnDelete(DeleteBehavior.Cascade);
    }
}
