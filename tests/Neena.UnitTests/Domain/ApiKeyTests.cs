using Neena.Domain.ApiKeys;

namespace Neena.UnitTests.Domain;

public sealed class ApiKeyTests
{
    [Fact]
    public void Issue_NewKey_StoresOnlyHashAndShortPrefix()
    {
        var (key, plaintext) = ApiKey.Issue(Guid.NewGuid(), Guid.NewGuid(), "k", null, null);

        Assert.StartsWith("nk_", plaintext, StringComparison.Ordinal);
        Assert.Equal(46, plaintext.Length);
        Assert.Equal(ApiKey.Hash(plaintext), key.KeyHash);
        Assert.Equal(64, key.KeyHash.Length);
        Assert.StartsWith(key.Prefix, plaintext, StringComparison.Ordinal);
        Assert.True(key.Prefix.Length < 12);
        Assert.Equal(["read", "write"], key.Permissions);
    }

    [Fact]
    public void Issue_TwoKeys_AreDifferentAndDotFree()
    {
        var a = ApiKey.Issue(Guid.NewGuid(), Guid.NewGuid(), "a", ["write", "read", "read"], null);
        var b = ApiKey.Issue(Guid.NewGuid(), Guid.NewGuid(), "b", null, null);

        Assert.NotEqual(a.Plaintext, b.Plaintext);
        // A dot would make the bearer token look like a JWT.
        Assert.DoesNotContain('.', a.Plaintext);
        Assert.Equal(["read", "write"], a.Key.Permissions);
    }

    [Fact]
    public void IsUsableAt_RevokedOrExpired_IsFalse()
    {
        var now = DateTime.UtcNow;
        var (key, _) = ApiKey.Issue(Guid.NewGuid(), Guid.NewGuid(), "k", null, now.AddMinutes(1));

        Assert.True(key.IsUsableAt(now));
        Assert.False(key.IsUsableAt(now.AddMinutes(2)));
        key.RevokedAt = now;
        Assert.False(key.IsUsableAt(now));
    }
}
