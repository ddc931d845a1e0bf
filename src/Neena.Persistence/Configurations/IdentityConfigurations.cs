using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Neena.Domain.ApiKeys;
using Neena.Domain.Organizations;
using Neena.Domain.Users;

namespace Neena.Persistence.Configurations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> builder)
    {
        builder.ToTable("organizations");
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.Property(e => e.ExternalId).HasMaxLength(200);
        builder.HasIndex(e => e.ExternalId).IsUnique();
    }
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.ToTable("users");
        builder.Property(e => e.Email).HasMaxLength(320);
        builder.Property(e => e.NormalizedEmail).HasMaxLength(320);
        builder.Property(e => e.FullName).HasMaxLength(200);
        builder.Property(e => e.Auth0Id).HasColumnName("auth0_id").HasMaxLength(200);
        builder.HasIndex(e => e.NormalizedEmail).IsUnique();
        builder.HasIndex(e => e.Auth0Id).IsUnique();
        builder.HasIndex(e => e.OrganizationId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.Property(e => e.Name).HasMaxLength(100);
        builder.Property(e => e.Prefix).HasMaxLength(16);
        builder.Property(e => e.KeyHash).HasMaxLength(64);
        builder.HasIndex(e => e.KeyHash).IsUnique();
        // The list endpoint: an organization's keys, newest first.
        builder.HasIndex(e => new { e.OrganizationId, e.CreatedDate, e.Id }).IsDescending(false, true, true);
        builder.HasIndex(e => e.UserId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<User>().WithMany().HasForeignKey(e => e.UserId).OnDelete(DeleteBehavior.Restrict);
        // Keys are revoked, never deleted; the index serves the revocation cascade (parent → children).
        builder.HasOne<ApiKey>().WithMany().HasForeignKey(e => e.ParentKeyId).OnDelete(DeleteBehavior.Restrict);
    }
}
