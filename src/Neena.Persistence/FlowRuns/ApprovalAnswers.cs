using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.Persistence.Sql;
using Npgsql;
using NpgsqlTypes;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.FlowRuns;

/// <summary>What an answer to an approval step found.</summary>
public enum ApprovalAnswerOutcome
{
    /// <summary>The answer won: the step is completed (approved) or failed (rejected), and the engines were told.</summary>
    Applied,

    /// <summary>No such task run in the tenant's organization.</summary>
    NotFound,

    /// <summary>The step names its approvers and the caller is not one of them.</summary>
    NotAnApprover,

    /// <summary>The task run is not waiting (answered, timed out, cancelled, not an approval step) or its run is not in progress.</summary>
    NotWaiting,
}

/// <summary>An answer's outcome, the task run's run, and its status when the answer did not apply.</summary>
public sealed record ApprovalAnswer(ApprovalAnswerOutcome Outcome, Guid? FlowRunId, string? Status);

/// <summary>
/// Answers to approval steps (issue 20): <c>PUT /flow_runs/approve_task</c> and <c>reject_task</c>. The answer is one
/// conditional update of the task run (<c>WHERE status = 'waiting'</c>), so of concurrent answers (or an answer and the
/// engine's timeout) exactly one wins; the run's due time is then cleared (a parked run is claimable at once) and the
/// engines are told at commit, as for an approval of a run.
/// </summary>
public sealed class ApprovalAnswers(NeenaDbContext db)
{
    /// <summary>
    /// Approves (<paramref name="approve"/>) or rejects the tenant's waiting approval step <paramref name="taskRunId"/> as
    /// <paramref name="email"/>, in the context's open transaction.
    /// </summary>
    public async Task<ApprovalAnswer> AnswerAsync(
        Tenant tenant, Guid taskRunId, bool approve, string? email, DateTime at, string? comment, CancellationToken cancellationToken)
    {
        var connection = db.TransactionConnection();
        Guid runId;
        string status;
        JsonObject? parameters;
        await using (var read = new NpgsqlCommand($"""
            SELECT t.flow_run_id, t.status, t.parameters::text FROM task_runs t WHERE t.id = @task AND {TenantSql.ConditionOnKeyedRow("t")}
            """, connection))
        {
            Add(read, tenant, taskRunId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return new ApprovalAnswer(ApprovalAnswerOutcome.NotFound, null, null);
            runId = reader.GetGuid(0);
            status = reader.GetString(1);
            parameters = await reader.IsDBNullAsync(2, cancellationToken) ? null : JsonNode.Parse(reader.GetString(2)) as JsonObject;
        }
        if (!ApprovalSteps.MayAnswer(ApprovalSteps.Approvers(parameters), email))
            return new ApprovalAnswer(ApprovalAnswerOutcome.NotAnApprover, runId, status);

        var transition = approve ? TaskRunStateMachine.Approve : TaskRunStateMachine.Reject;
        await using (var answer = new NpgsqlCommand($"""
            UPDATE task_runs t SET status = {Literal(transition.To)}, result = @result, error = @error, next_attempt_at = NULL,
                   end_time = @at, modified_date = @at, modified_by_email = @by
            WHERE t.id = @task AND {TenantSql.ConditionOnKeyedRow("t")} AND t.status IN {In(transition.From)}
              AND EXISTS (SELECT 1 FROM flow_runs r WHERE r.id = t.flow_run_id AND {RunConditionSql.For(RunConditions.Claimable)})
            """, connection))
        {
            Add(answer, tenant, taskRunId);
            answer.Parameters.Add(new NpgsqlParameter("result", NpgsqlDbType.Jsonb)
            {
                Value = approve ? ApprovalSteps.Approved(email, at, comment).ToJsonString() : DBNull.Value,
            });
            answer.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = approve ? DBNull.Value : ApprovalSteps.RejectedBy(email) });
            answer.Parameters.AddWithValue("at", at);
            answer.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)email ?? DBNull.Value });
            if (await answer.ExecuteNonQueryAsync(cancellationToken) != 1)
                return new ApprovalAnswer(ApprovalAnswerOutcome.NotWaiting, runId, status);
        }

        // After the task run: a hand-back that locked the run row first then reads the step still waiting and parks the
        // run, and this clears its due time after it; one that comes later reads the answer.
        await using (var wake = new NpgsqlCommand($"""
            UPDATE flow_runs r SET next_attempt_at = NULL WHERE r.id = @run AND {TenantSql.ConditionOnKeyedRow("r")};
            SELECT pg_notify(@channel, @run::text)
            """, connection))
        {
            wake.Parameters.AddWithValue("run", runId);
            wake.Parameters.AddWithValue(TenantSql.Parameter, tenant.OrganizationId);
            wake.Parameters.AddWithValue("channel", FlowRunNotifications.Approved);
            await wake.ExecuteNonQueryAsync(cancellationToken);
        }
        return new ApprovalAnswer(ApprovalAnswerOutcome.Applied, runId, transition.To);
    }

    private static void Add(NpgsqlCommand command, Tenant tenant, Guid taskRunId)
    {
        command.Parameters.AddWithValue("task", taskRunId);
        command.Parameters.AddWithValue(TenantSql.Parameter, tenant.OrganizationId);
    }
}
