using System.Text;
using System.Text.Json;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;

namespace Neena.Api.Services;

/// <summary>A for_each task run's items (issue 20) from the JSON array the run read builds (<c>FlowRunQueries</c>).</summary>
internal static class TaskRunItems
{
    public static IReadOnlyList<TaskRunItemResponse>? From(byte[]? utf8)
    {
        if (utf8 is null)
            return null;
        using var document = JsonDocument.Parse(utf8);
        var items = new List<TaskRunItemResponse>(document.RootElement.GetArrayLength());
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var result = item.GetProperty("result");
            var error = item.GetProperty("error");
            items.Add(new TaskRunItemResponse(
                item.GetProperty("index").GetInt32(),
                item.GetProperty("status").GetString()!,
                result.ValueKind == JsonValueKind.Null ? null : StoredJson.From(Encoding.UTF8.GetBytes(result.GetRawText())),
                error.ValueKind == JsonValueKind.Null ? null : error.GetString(),
                item.GetProperty("attempt").GetInt32()));
        }
        return items;
    }
}
