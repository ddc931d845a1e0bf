using System.Security.Cryptography;
using System.Text;
using Neena.Domain.Common;

namespace Neena.Domain.ApiKeys;

public sealed class ApiKey : ITenantOwned, IAudited
{
    public const string KeyPrefix = "nk_";

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid UserId { get; set; }
    public required string Name { get; set; }

    /// <summary>The first characters of the key, shown in lists so a person can tell keys apart.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the whole key (hex). Keys are 256-bit random secrets, so an unsalted fast hash is safe and allows an indexed lookup.</summary>
    public required string KeyHash { get; set; }

    public List<string> Permissions { get; set; } = [.. Common.Permissions.All];
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }

    /// <summary>The key this one was created with, if any: revoking that key revokes this one (and its own children).</summary>
    public Guid? ParentKeyId { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }

    public bool IsUsableAt(DateTime utcNow) => IsUsable(RevokedAt, ExpiresAt, utcNow);

    /// <summary>The rule itself, for callers that read only these two columns.</summary>
    public static bool IsUsable(DateTime? revokedAt, DateTime? expiresAt, DateTime utcNow) =>
        revokedAt is null && (expiresAt is null || expiresAt > utcNow);

    /// <summary>
    /// The expiry of a key created with this one, which may not outlive it: the requested expiry, else this key's.
    /// <paramref name="allowed"/> is false when the requested one is later than this key's.
    /// </summary>
    public DateTime? ChildExpiry(DateTime? requested, out bool allowed)
    {
        allowed = ExpiresAt is null || requested is null || requested <= ExpiresAt;
        return requested ?? ExpiresAt;
    }

    /// <summary>Creates a key; the plaintext is returned once and never stored.</summary>
    /// <param name="parentKeyId">The key used to create this one (when created with a key), which bounds it.</param>
    public static (ApiKey Key, string Plaintext) Issue(Guid organizationId, Guid userId, string name, IEnumerable<string>? permissions, DateTime? expiresAt, Guid? parentKeyId = null)
    {
        var secret = Base62(RandomNumberGenerator.GetBytes(32));
        var plaintext = KeyPrefix + secret;
        var key = new ApiKey
        {
            OrganizationId = organizationId,
            UserId = userId,
            Name = name,
            Prefix = plaintext[..(KeyPrefix.Length + 6)],
            KeyHash = Hash(plaintext),
            Permissions = permissions?.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList() ?? [.. Common.Permissions.All],
            ExpiresAt = expiresAt,
            ParentKeyId = parentKeyId,
        };
        return (key, plaintext);
    }

    public static string Hash(string plaintext) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plaintext)));

    private static string Base62(byte[] bytes)
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var value = new System.Numerics.BigInteger(bytes, isUnsigned: true);
        var sb = new StringBuilder();
        while (value > 0)
        {
            value = System.Numerics.BigInteger.DivRem(value, 62, out var rem);
            sb.Insert(0, alphabet[(int)rem]);
        }
        return sb.ToString().PadLeft(43, '0');
    }
}
