using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.Credentials;
using Neena.Domain.Organizations;

namespace Neena.Persistence.Configurations;

internal sealed class IntegrationCredentialConfiguration : IEntityTypeConfiguration<IntegrationCredential>
{
    public void Configure(EntityTypeBuilder<IntegrationCredential> builder)
    {
        builder.ToTable("integration_credentials");
        builder.Property(e => e.Name).HasMaxLength(IntegrationCredential.MaxNameLength);
        builder.Property(e => e.FieldNames).HasJsonb();
        // Lists: an organization's live rows, newest first. A task's credential: the newest live one for its integration.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true).HasFilter("deleted_at IS NULL");
        builder.HasIndex(e => new { e.OrganizationId, e.IntegrationId, e.CreatedDate }).IsDescending(false, false, true).HasFilter("deleted_at IS NULL");
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(e => e.Integration).WithMany().HasForeignKey(e => e.IntegrationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> builder) => builder.ToTable("data_protection_keys");
}
