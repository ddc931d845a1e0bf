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

public sealed class UserService(NeenaDbContext db, TimeProvider time, PrincipalCache cache)
{
    public const string NotAuthorizedToCreate = "You are not authorized to create this user.";
    public const string EmailTaken = "A user with this email already exists";

    public async Task<UserResponse> GetCurrentAsync(ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        var userId = caller.GetUserId() ?? throw ApiException.NotFound(NeenaRequirementHandler.NotRegistered);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw ApiException.NotFound(NeenaRequirementHandler.NotRegistered);
        return new UserResponse(user.Email, user.FullName, user.Auth0Id, user.Id, caller.GetPermissions(), user.OrganizationId);
    }

    /// <summary>The original's <c>PUT /users/</c>: the caller changes their own <c>full_name</c>; answered as <c>GET /users/</c> shows it.</summary>
    public async Task<UserResponse> UpdateCurrentAsync(ClaimsPrincipal caller, UpdateUserRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var userId = caller.GetUserId() ?? throw ApiException.NotFound(NeenaRequirementHandler.NotRegistered);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw ApiException.NotFound(NeenaRequirementHandler.NotRegistered);
        user.FullName = request.FullName;
        await db.SaveChangesAsync(cancellationToken);
        return new UserResponse(user.Email, user.FullName, user.Auth0Id, user.Id, caller.GetPermissions(), user.OrganizationId);
    }

    /// <summary>
    /// The original's <c>create_if_not_exists</c>: the body must describe the caller (email and <c>auth0_id</c> from the
    /// token); an existing user is returned unchanged, a new one gets the token's organization or one of its own. A
    /// user created from the command line (no <c>auth0_id</c>) is linked only to a token that vouches for the email.
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
                var user = await FindOrCreateAsync(email, request.FullName, subject, caller.HasVerifiedEmail(), caller.FindFirstValue("org_id"), cancellationToken);
                return new UserResponse(user.Email, user.FullName, user.Auth0Id, user.Id, null, user.OrganizationId);
            }
            catch (Exception e) when (IsUniqueViolation(e) && attempt < 2)
            {
                // Another request created the same user or organization first; the next pass finds it.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<User> FindOrCreateAsync(string email, string? fullName, string subject, bool emailVerified, string? externalOrganizationId, CancellationToken cancellationToken)
    {
        var users = db.Users.IgnoreQueryFilters([NeenaDbContext.TenantFilter]);
        var existing = await users.AsNoTracking().FirstOrDefaultAsync(u => u.Auth0Id == subject, cancellationToken);
        if (existing is not null)
            return existing;

        // normalized_email is unique, so this is the one user who owns the address in any letter case.
        var normalized = User.Normalize(email);
        var byEmail = await users.AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        if (byEmail is not null)
        {
            // Linked by a concurrent call with this same token since the lookup above.
            if (byEmail.Auth0Id == subject)
                return byEmail;
            // An unverified address proves nothing: linking on it would hand the account and its organization to
            // whoever signs up with that address first. A user bound to another identity is never re-linked.
            if (byEmail.Auth0Id is not null || !emailVerified)
                throw ApiException.Conflict(EmailTaken);
            // A user made from the command line signs in for the first time: link the identity rather than duplicate
            // the person. Conditional on auth0_id still being empty, so two identities racing for it cannot both win.
            var now = time.GetUtcNow().UtcDateTime;
            var linked = await users.Where(u => u.Id == byEmail.Id && u.Auth0Id == null)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Auth0Id, subject).SetProperty(u => u.ModifiedDate, now).SetProperty(u => u.ModifiedByEmail, email), cancellationToken);
            // The user's API keys now authenticate with this identity; the notification reaches other instances.
            cache.Invalidate(CredentialChanges.User, byEmail.Id);
            var current = await users.AsNoTracking().FirstAsync(u => u.Id == byEmail.Id, cancellationToken);
            return linked == 1 || current.Auth0Id == subject ? current : throw ApiException.Conflict(EmailTaken);
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

    // SaveChanges wraps the server's error, ExecuteUpdate does not.
    private static bool IsUniqueViolation(Exception e) =>
        (e as PostgresException ?? e.InnerException as PostgresException)?.SqlState == PostgresErrorCodes.UniqueViolation;

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
