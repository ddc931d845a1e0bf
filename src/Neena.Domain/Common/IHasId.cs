namespace Neena.Domain.Common;

public interface IHasId
{
    Guid Id { get; }
}
