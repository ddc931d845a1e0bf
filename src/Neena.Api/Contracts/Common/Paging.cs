using Neena.Domain.Common;

namespace Neena.Api.Contracts.Common;

public static class Paging
{
    /// <summary>Newest first, then by id so pages are stable when timestamps tie.</summary>
    public static IQueryable<T> NewestFirst<T>(this IQueryable<T> query, PageQuery page) where T : IAudited, IHasId =>
        query.OrderByDescending(e => e.CreatedDate).ThenByDescending(e => e.Id).Skip(page.Skip).Take(page.Limit);
}
