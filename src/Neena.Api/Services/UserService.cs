using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Auth;
using Neena.Api.Contracts.Users;
using Neena.Api.Errors;
using Neena.Domain.Organizations;
using Neena.Domain.Users;
using Neena.Persistence;
using Npgsql;

namespace Neena.Api.Services;

public sealed class UserService(NeenaDbContext db)
{
    public const string NotAuthorizedToCreate = "You are not authorized to create this user.";

    public async Task<UserResponse> GetCurrentAsync(ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        var userId = caller.GetUserId() ?? throw ApiException.NotFound(NeenaRequirementHandler.NotRegistered);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw ApiException.NotFound(NeenaRequirementHandler.NotRegistered);
        return new UserResponse(user.Email, user.FullName, user.Auth0Id, user.Id, caller.GetPermissions(), user.OrganizationId);
    }

    /// <summary>
    /// The original's <c>create_if_not_exists</c>: the body must describe the caller (email and <c>auth0_id</c> from the
    /// token); an existing user is returned unchanged, a new one gets the token's organization or one of its own.
    /// </summary>
    public async Task<UserResponse> CreateIfNotExistsAsync(ClaimsPrincipal caller, CreateUserRequest request, CancellationToken cancellationToken)
    {
        var email = request.Email!;
        var subject = request.Auth0Id!;
        if (!string.Equals(caller.GetEmail(), email, StringComparison.OrdinalIgnoreCase) || !string.Equals(caller.GetSubject(), subject, StringComparison.Ordinal))
            throw ApiException.BadRequest(NotAuthorizedToCreate);

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var user = await FindOrCreateAsync(email, request.FullName, subject, caller.FindFirstValue("org_id"), cancellationToken);
                return new UserResponse(user.Email, user.FullName, user.Auth0Id, user.Id, null, user.OrganizationId);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && attempt < 2)
            {
                // Another request created the same user or organization first; the next pass finds it.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<User> FindOrCreateAsync(string email, string? fullName, string subject, string? externalOrganizationId, CancellationToken cancellationToken)
    {
        var users = db.Users.IgnoreQueryFilters([NeenaDbContext.TenantFilter]);
        var existing = await users.FirstOrDefaultAsync(u => u.Auth0Id == subject, cancellationToken);
        if (existing is not null)
            return existing;

        var normalized = User.Normalize(email);
        var byEmail = await users.FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        if (byEmail is not null)
        {
            if (byEmail.Auth0Id == subject)
                return byEmail;
            if (byEmail.Auth0Id is not null)
                throw ApiException.BadRequest(NotAuthorizedToCreate);
            // A user made from the command line signs in for the first time: link the identity rather than duplicate the person.
            byEmail.Auth0Id = subject;
            await db.SaveChangesAsync(cancellationToken);
            return byEmail;
        }

        // The organization and its first user commit together: a lost race leaves no orphan organization behind.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var organization = await EnsureOrganizationAsync(db, externalOrganizationId, $"{email}'s organization", cancellationToken);
        var user = new User { Email = email, NormalizedEmail = normalized, FullName = fullName, Auth0Id = subject, OrganizationId = organization.Id };
        db.Users.Add(user);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return user;
    }

    /// <summary>The organization named by an identity provider id (created on first sight), or a new one.</summary>
    public static async Task<Organization> EnsureOrganizationAsync(NeenaDbContext db, string? externalId, string name, CancellationToken cancellationToken)
    {
        if (externalId is not null)
        {
            var known = await db.Organizations.FirstOrDefaultAsync(o => o.ExternalId == externalId, cancellationToken);
            if (known is not null)
                return known;
        }
        var organization = new Organization { Name = externalId ?? name, ExternalId = externalId };
        db.Organizations.Add(organization);
        await db.SaveChangesAsync(cancellationToken);
        return organization;
    }
}
