// A small client written against the types openapi-typescript generates from the served document (generated/schema.ts).
// It only has to compile under strict settings: OpenApiLintTests runs tsc on it, so a document whose types a
// TypeScript caller cannot use as below fails CI.
import type { components, paths } from "./generated/schema";

type FlowCreate = NonNullable<paths["/api/v1/flows"]["post"]["requestBody"]> extends { content: { "application/json": infer B } } ? B : never;
type FlowRun = components["schemas"]["FlowRun"];
type ApprovalStatus = components["schemas"]["ApprovalStatus"];

const flow: FlowCreate = {
  name: "Weekly sales summary",
  task_operations: [
    {
      name: "Pass the line on",
      task_definition: "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a93",
      index: 0,
      x: 0,
      y: 0,
      parameters: { message: "{{request.instructions}}" },
    },
  ],
  dependencies: [],
};

// The answer of POST /api/v1/flow_runs, as the document types it.
type CreatedRun = paths["/api/v1/flow_runs"]["post"]["responses"][200]["content"]["application/json"];
const sameShape: (run: CreatedRun) => FlowRun = (run) => run;

function describe(run: FlowRun): string {
  // null while the run awaits approval: the type must say so, or this comparison would not compile under strict.
  const approval: ApprovalStatus | null = run.approval_status;
  const failed: string | null = run.failed_task === null ? null : JSON.stringify(run.failed_task);
  return `${run.id} ${run.status} ${approval ?? "awaiting approval"} ${failed ?? "no failed task"}`;
}

export async function createFlowAndRun(base: string, apiKey: string, flowRequest: string): Promise<string> {
  const headers = { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" };
  const created = await fetch(`${base}/api/v1/flows`, { method: "POST", headers, body: JSON.stringify(flow) });
  const saved = (await created.json()) as components["schemas"]["Flow"];
  const body: components["schemas"]["FlowRunCreate"] = { flow: saved.id, flow_request: flowRequest };
  const answer = await fetch(`${base}/api/v1/flow_runs`, { method: "POST", headers, body: JSON.stringify(body) });
  return describe(sameShape((await answer.json()) as CreatedRun));
}
