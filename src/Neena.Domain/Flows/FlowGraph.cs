namespace Neena.Domain.Flows;

/// <summary>A problem found in a flow's shape, located like the API's 422 errors (<c>task_operations.1.index</c>).</summary>
public sealed record FlowProblem(string Location, string Message);

/// <summary>The DAG rules of a flow: unique indexes, dependencies between existing operations, no cycles; and its topological order.</summary>
public static class FlowGraph
{
    public const string CycleDetected = "Cycle detected in the task operations";

    /// <summary>Checks the graph; when it is valid, <paramref name="sortedIndexes"/> maps each operation index to its position in a stable topological order.</summary>
    public static IReadOnlyList<FlowProblem> Validate(
        IReadOnlyList<int> operationIndexes,
        IReadOnlyList<(int Source, int Target)> dependencies,
        out IReadOnlyDictionary<int, int> sortedIndexes)
    {
        sortedIndexes = new Dictionary<int, int>();
        var problems = new List<FlowProblem>();
        if (operationIndexes.Count == 0)
            problems.Add(new FlowProblem("task_operations", "ensure this value has at least 1 items"));

        var seen = new HashSet<int>();
        for (var i = 0; i < operationIndexes.Count; i++)
        {
            if (!seen.Add(operationIndexes[i]))
                problems.Add(new FlowProblem($"task_operations.{i}.index", $"duplicate task operation index {operationIndexes[i]}"));
        }

        var edges = new HashSet<(int, int)>();
        for (var i = 0; i < dependencies.Count; i++)
        {
            var (source, target) = dependencies[i];
            if (!seen.Contains(source))
                problems.Add(new FlowProblem($"dependencies.{i}.source_task_operation", $"no task operation has index {source}"));
            if (!seen.Contains(target))
                problems.Add(new FlowProblem($"dependencies.{i}.target_task_operation", $"no task operation has index {target}"));
            if (source == target)
                problems.Add(new FlowProblem($"dependencies.{i}", "a task operation cannot depend on itself"));
            if (!edges.Add((source, target)))
                problems.Add(new FlowProblem($"dependencies.{i}", "duplicate dependency"));
        }
        if (problems.Count > 0)
            return problems;

        var order = TopologicalOrder(operationIndexes, dependencies);
        if (order is null)
        {
            problems.Add(new FlowProblem("dependencies", CycleDetected));
            return problems;
        }
        sortedIndexes = order.Select((index, position) => (index, position)).ToDictionary(x => x.index, x => x.position);
        return problems;
    }

    /// <summary>Kahn's algorithm, always taking the smallest ready index, so the order is stable; null when there is a cycle.</summary>
    public static IReadOnlyList<int>? TopologicalOrder(IReadOnlyList<int> operationIndexes, IReadOnlyList<(int Source, int Target)> dependencies)
    {
        var inDegree = operationIndexes.Distinct().ToDictionary(i => i, _ => 0);
        var successors = inDegree.Keys.ToDictionary(i => i, _ => new List<int>());
        foreach (var (source, target) in dependencies.Distinct())
        {
            successors[source].Add(target);
            inDegree[target]++;
        }
        var ready = new PriorityQueue<int, int>();
        foreach (var (index, degree) in inDegree)
        {
            if (degree == 0)
                ready.Enqueue(index, index);
        }
        var order = new List<int>(inDegree.Count);
        while (ready.TryDequeue(out var index, out _))
        {
            order.Add(index);
            foreach (var next in successors[index])
            {
                if (--inDegree[next] == 0)
                    ready.Enqueue(next, next);
            }
        }
        return order.Count == inDegree.Count ? order : null;
    }

    /// <summary>Every operation that must complete before <paramref name="index"/> can run.</summary>
    public static IReadOnlySet<int> Ancestors(int index, IReadOnlyList<(int Source, int Target)> dependencies)
    {
        var predecessors = dependencies.GroupBy(d => d.Target).ToDictionary(g => g.Key, g => g.Select(d => d.Source).ToList());
        var result = new HashSet<int>();
        var stack = new Stack<int>();
        stack.Push(index);
        while (stack.Count > 0)
        {
            if (!predecessors.TryGetValue(stack.Pop(), out var sources))
                continue;
            foreach (var source in sources)
            {
                if (result.Add(source))
                    stack.Push(source);
            }
        }
        return result;
    }
}
