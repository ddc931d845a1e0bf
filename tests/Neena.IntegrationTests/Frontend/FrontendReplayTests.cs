using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.StandIns;

namespace Neena.IntegrationTests.Frontend;

/// <summary>
/// The server as the original frontend had it: its origin allowed (as its backend's CORS list did), the engine on (the editor
/// executes and polls a run), and a language model (the original always had one; the frontend sends no metadata, so the
/// model fills the inputs) played by the OpenAI-compatible stand-in.
/// </summary>
public sealed class FrontendFactory : NeenaFactory
{
    public OpenAiServer Model { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Cors:AllowedOrigins:0"] = FrontendBrowser.Origin,
        ["Engine:PollIntervalSeconds"] = "60",
        ["Engine:RetryBaseDelayMilliseconds"] = "50",
        ["LanguageModel:Provider"] = "openai",
        ["LanguageModel:Endpoint"] = Model.Endpoint,
        ["LanguageModel:ApiKey"] = Model.ApiKey,
        ["LanguageModel:Model"] = OpenAiServer.ModelName,
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Model = await OpenAiServer.StartAsync();
    }

    protected override async Task DisposeResourcesAsync()
    {
        await base.DisposeResourcesAsync();
        await Model.DisposeAsync();
    }
}

/// <summary>
/// Issue 22 item 6: every call the original frontend makes (orhanrauf/neena, branch
/// development/feature/add-task-run-attributes-to-execute-view, <c>frontend/src</c>), with the bodies it builds, from its origin
/// and through CORS as a browser would, checking every answer field it then reads. File:line references are to that branch.
/// Not replayed: <c>components/tasks/AddTaskModal.vue</c> (imported nowhere; it would call the frontend's own origin).
/// </summary>
public sealed class FrontendReplayTests(FrontendFactory factory) : IClassFixture<FrontendFactory>
{
    // What a user types into CreateRequestBox.vue:3; the frontend sends it alone (no metadata), so it must plan and run as is.
    private const string Typed = "Echo a message as the flow's answer";

    private async Task<(FrontendBrowser Browser, string Email)> LogInAsync()
    {
        var subject = $"auth0|{Guid.NewGuid():N}";
        var email = $"{Guid.NewGuid():N}@frontend.example";
        // An Auth0 access token as getAccessTokenSilently() returns it (login.vue:40): no permissions claim.
        var browser = new FrontendBrowser(factory.CreateClient(), NeenaFactory.Jwt(subject, email));
        // login.vue:47-54: userNeenaModel from Auth0's user; only response.status is read (login.vue:58).
        await browser.PostAsync("users/create_if_not_exists", new JsonObject { ["email"] = email, ["auth0_id"] = subject, ["full_name"] = "Ada Lovelace" });
        return (browser, email);
    }

    /// <summary>CreateRequestBox.vue:59-65: the request as typed; the answer becomes state.flowCreation.flowRequest.</summary>
    private static async Task<JsonObject> CreateRequestAsync(FrontendBrowser browser, string where)
    {
        var flowRequest = (await browser.PostAsync("flow_requests/", new JsonObject { ["request_instructions"] = Typed })).AsObject();
        Reads.Text(flowRequest, "id", where);                      // CreateRequestBox.vue:73 flowRequest.id
        Reads.Text(flowRequest, "request_instructions", where);    // RequestDialog.vue:24, SaveFlowDialog.vue:27, DrawFlow.vue:52
        return flowRequest;
    }

    /// <summary>What the editor reads of a flow (store/index.js buildDrawFlowFromApi:279-333, getters:67-73, saveFlow:433).</summary>
    private static void EditorReads(JsonNode flow, string where)
    {
        Reads.Text(flow, "id", where);                             // index.js:433 flow.id decides PUT or POST
        Reads.Text(flow, "name", where);                           // DrawFlow.vue:51, ExecuteFlowCard.vue:93
        foreach (var operation in Reads.Array(flow, "task_operations", where))
        {
            Reads.Text(operation, "id", where);                    // index.js:298 taskOperationId: taskOperation.id
            Reads.Number(operation, "sorted_index", where);          // index.js:291 sort by sorted_index; ExecuteFlowCard.vue:110
            Reads.Number(operation, "index", where);                 // index.js:70, 472; ExecuteFlowCard.vue:40, 54
            Reads.Text(operation, "name", where);                  // index.js:303; Node.vue:59
            Reads.Text(operation, "task_definition", where);       // Node.vue:41; ExecuteFlowCard.vue:32
            Reads.Present(operation, "x", where);                    // index.js:289, 306
            Reads.Present(operation, "y", where);                    // index.js:289, 307
        }
        foreach (var dependency in Reads.Array(flow, "dependencies", where))
        {
            Reads.Number(dependency, "source_task_operation", where); // index.js:321
            Reads.Number(dependency, "target_task_operation", where); // index.js:322
            Reads.Text(dependency, "id", where);                    // TaskOperationDrawer.vue:159 'arrow-' + dependency.id
        }
    }

    /// <summary>DrawFlow.vue:129-130 → index.js:344-350 and 382-389; read by Node.vue, TaskListCard.vue, TaskOperationDrawer.vue, ExecuteFlowCard.vue.</summary>
    private static async Task CatalogueAsync(FrontendBrowser browser)
    {
        foreach (var definition in Reads.NonEmptyList(await browser.GetAsync("/task_definitions/all"), "task_definitions/all"))
        {
            Reads.Text(definition, "id", "task definition");               // index.js:81
            Reads.Text(definition, "task_name", "task definition");        // TaskListCard.vue:16, 61; TaskOperationDrawer.vue:138
            Reads.Text(definition, "integration", "task definition");      // Node.vue:42; TaskListCard.vue:60; ExecuteFlowCard.vue:33
            Reads.Text(definition, "description", "task definition");      // Node.vue:61
            Reads.StringOrNull(definition, "output_type", "task definition"); // Node.vue:63; ExecuteFlowCard.vue:141
            Reads.StringOrNull(definition, "output_yml", "task definition");  // TaskOperationDrawer.vue:194
        }
        foreach (var integration in Reads.NonEmptyList(await browser.GetAsync("/integrations/all"), "integrations/all"))
        {
            Reads.Text(integration, "id", "integration");          // index.js:93
            Reads.Text(integration, "short_name", "integration");  // Node.vue:57-58; TaskListCard.vue:43; ExecuteFlowCard.vue:115
            Reads.Text(integration, "name", "integration");        // integrations.vue:103-111
            Reads.Text(integration, "class_name", "integration");  // integrations.vue:150
        }
    }

    [Fact]
    public async Task GenerateEditSaveExecuteAndPoll_AsTheEditorDoes()
    {
        var (browser, email) = await LogInAsync();
        var flowRequest = await CreateRequestAsync(browser, "POST flow_requests/");

        // CreateRequestBox.vue:73 → index.js:338: the editor draws and later saves what this answers, by its ids.
        var flow = (await browser.GetAsync($"flows/generate?flow_request_id={flowRequest["id"]}")).AsObject();
        EditorReads(flow, "GET flows/generate");
        Reads.Bool(flow, "created_by_human", "GET flows/generate");
        Assert.False(flow["created_by_human"]!.GetValue<bool>());
        await CatalogueAsync(browser);

        // The editor's state, as its mutations leave it: sorted in place (index.js:291), drawflow node ids on operations
        // (index.js:210-216) and dependencies (index.js:324-325), a task added from the list (index.js:390-403, 206-208)
        // and connected (index.js:238-249), node positions read back (index.js:426-429), renamed (SaveFlowDialog.vue:37).
        var operations = flow["task_operations"]!.AsArray();
        var sorted = operations.OrderBy(o => o!["sorted_index"]!.GetValue<int>()).Select(o => o!.DeepClone()).ToList();
        operations.Clear();
        sorted.ForEach(operations.Add);
        for (var i = 0; i < operations.Count; i++)
            operations[i]!["drawflow_node_id"] = i + 1;
        foreach (var dependency in flow["dependencies"]!.AsArray())
        {
            dependency!["source_drawflow_node_id"] = 1 + operations.ToList().FindIndex(o => o!["index"]!.GetValue<int>() == dependency["source_task_operation"]!.GetValue<int>());
            dependency["target_drawflow_node_id"] = 1 + operations.ToList().FindIndex(o => o!["index"]!.GetValue<int>() == dependency["target_task_operation"]!.GetValue<int>());
        }
        var echo = (await browser.GetAsync("/task_definitions/all")).AsArray().First(d => d!["task_name"]!.GetValue<string>() == "Echo")!;
        var last = operations[^1]!;
        var added = new JsonObject
        {
            ["drawflow_node_id"] = operations.Count + 1,
            ["name"] = "Echo_2",
            ["task_definition"] = echo["id"]!.GetValue<string>(),
            ["instructions"] = "",
            ["x"] = 400,
            ["y"] = 150,
            ["index"] = operations.Max(o => o!["index"]!.GetValue<int>()) + 1,
        };
        flow["dependencies"]!.AsArray().Add(new JsonObject
        {
            ["source_drawflow_node_id"] = last["drawflow_node_id"]!.GetValue<int>(),
            ["target_drawflow_node_id"] = added["drawflow_node_id"]!.GetValue<int>(),
            ["source_task_operation"] = last["index"]!.GetValue<int>(),
            ["target_task_operation"] = added["index"]!.GetValue<int>(),
        });
        operations.Add(added);
        foreach (var operation in operations)
        {
            operation!["x"] = 200.5 + operation["drawflow_node_id"]!.GetValue<int>();
            operation["y"] = 100;
        }
        flow["name"] = $"Flow for {flowRequest["request_instructions"]}";

        // SaveFlowDialog.vue:38-39 → index.js:434 (flow.id set: PUT) and index.js:443-446.
        var saved = await browser.PutAsync("/flows/", flow);
        EditorReads(saved, "PUT /flows/");
        Assert.Equal(flow["id"]!.GetValue<string>(), saved["id"]!.GetValue<string>());
        Assert.Equal(operations.Count, saved["task_operations"]!.AsArray().Count);
        Assert.False(saved["created_by_human"]!.GetValue<bool>());
        flowRequest["flow"] = saved["id"]!.GetValue<string>();
        await browser.PutAsync("/flow_requests/", flowRequest);

        // DrawFlow.vue:62-75: saveFlow again (PUT), the request linked twice more, then index.js:450.
        saved = await browser.PutAsync("/flows/", saved);
        flowRequest["flow"] = saved["id"]!.GetValue<string>();
        await browser.PutAsync("/flow_requests/", flowRequest);
        await browser.PutAsync("/flow_requests/", flowRequest);
        var flowRun = await browser.PostAsync($"/flows/execute?flow_id={saved["id"]}&flow_request_id={flowRequest["id"]}", null);
        Reads.Text(flowRun, "id", "POST /flows/execute");          // execute-flow.vue:10-11; ExecuteFlowCard.vue:47, 67
        Reads.Text(flowRun, "flow", "POST /flows/execute");        // ExecuteFlowCard.vue:9
        Reads.Array(flowRun, "task_runs", "POST /flows/execute");    // ExecuteFlowCard.vue:54

        // ExecuteFlowCard.vue:17-19 then :9, as the execute page mounts.
        var newest = Reads.NonEmptyList(await browser.GetAsync("/flow_runs/all?limit=1"), "GET /flow_runs/all?limit=1")[0]!;
        Assert.Equal(flowRun["id"]!.GetValue<string>(), newest["id"]!.GetValue<string>());
        var executed = await browser.GetAsync($"flows?id={newest["flow"]}");
        EditorReads(executed, "GET flows?id=");

        // execute-flow.vue:23 polls every 2 s through index.js:456 until the user stops it; here until the run ends.
        JsonNode run;
        var deadline = DateTime.UtcNow + EngineTestSupport.RunTimeout;
        do
        {
            run = await browser.GetAsync($"/flow_runs?id={flowRun["id"]}");
            Reads.Text(run, "id", "GET /flow_runs?id=");
            foreach (var taskRun in Reads.Array(run, "task_runs", "GET /flow_runs?id="))
            {
                Reads.Number(taskRun, "task_operation_index", "task run");  // ExecuteFlowCard.vue:54
                Reads.Text(taskRun, "status", "task run");                // ExecuteFlowCard.vue:120
                Reads.Present(taskRun, "result", "task run");               // ExecuteFlowCard.vue:141
            }
            if (RunStatus.IsFinished(run["status"]!.GetValue<string>()))
                break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.True(run["status"]!.GetValue<string>() == RunStatus.Completed, run.ToJsonString());
        Assert.Equal(operations.Count, run["task_runs"]!.AsArray().Count);

        // The lists and detail pages, and utils.js:11.
        await ListsAndDetailsAsync(browser, email, flowRequest["id"]!.GetValue<string>(), saved["id"]!.GetValue<string>(), generated: true);
        var definition = await browser.GetAsync($"task_definitions?id={echo["id"]}");
        Reads.Text(definition, "id", "GET task_definitions?id=");
    }

    [Fact]
    public async Task StartBlank_DrawSaveAndDelete_AsTheEditorDoes()
    {
        var (browser, email) = await LogInAsync();
        // CreateRequestBox.vue:77-80: the request, then a blank flow in the editor.
        var flowRequest = await CreateRequestAsync(browser, "POST flow_requests/ (blank)");
        await CatalogueAsync(browser);
        var definitions = (await browser.GetAsync("/task_definitions/all")).AsArray();
        JsonNode Definition(string name) => definitions.First(d => d!["task_name"]!.GetValue<string>() == name)!;

        // index.js:390-403 twice (index from getNewTaskOpIndex, index.js:466-474), connected as index.js:238-249 does.
        var flow = new JsonObject
        {
            ["name"] = $"Flow for {flowRequest["request_instructions"]}",   // DrawFlow.vue:51-52
            ["task_operations"] = new JsonArray(
                new JsonObject { ["drawflow_node_id"] = 1, ["name"] = "Compose Text", ["task_definition"] = Definition("Compose Text")["id"]!.GetValue<string>(), ["instructions"] = "", ["x"] = 400, ["y"] = 150, ["index"] = 0 },
                new JsonObject { ["drawflow_node_id"] = 2, ["name"] = "Echo", ["task_definition"] = Definition("Echo")["id"]!.GetValue<string>(), ["instructions"] = "", ["x"] = 812.25, ["y"] = 150, ["index"] = 1 }),
            ["dependencies"] = new JsonArray(
                new JsonObject { ["source_drawflow_node_id"] = 1, ["target_drawflow_node_id"] = 2, ["source_task_operation"] = 0, ["target_task_operation"] = 1 }),
        };

        // DrawFlow.vue:55 → index.js:436 (no id yet: POST), then DrawFlow.vue:56 → index.js:443-446.
        var saved = await browser.PostAsync("/flows/", flow);
        EditorReads(saved, "POST /flows/");
        Reads.Bool(saved, "created_by_human", "POST /flows/");
        Assert.True(saved["created_by_human"]!.GetValue<bool>());
        flowRequest["flow"] = saved["id"]!.GetValue<string>();
        await browser.PutAsync("/flow_requests/", flowRequest);

        await ListsAndDetailsAsync(browser, email, flowRequest["id"]!.GetValue<string>(), saved["id"]!.GetValue<string>(), generated: false);

        // requests/index.vue:63 → index.js:368; the page keeps the row unless the status is 200 (index.js:370).
        var deleted = await browser.DeleteAsync($"/flow_requests/?id={flowRequest["id"]}");
        Reads.Text(deleted, "id", "DELETE /flow_requests/");
        Assert.DoesNotContain((await browser.GetAsync("/flow_requests/all")).AsArray(), r => r!["id"]!.GetValue<string>() == flowRequest["id"]!.GetValue<string>());
    }

    private static async Task ListsAndDetailsAsync(FrontendBrowser browser, string email, string requestId, string flowId, bool generated)
    {
        // flows/index.vue:74 → index.js:352; the table reads name, created_by_human, created_date, id (flows/index.vue:29-33, 140-171).
        var flows = Reads.NonEmptyList(await browser.GetAsync("/flows/all?limit=20"), "GET /flows/all?limit=20");
        var row = flows.Single(f => f!["id"]!.GetValue<string>() == flowId)!;
        Reads.Text(row, "name", "flows row");
        Reads.Bool(row, "created_by_human", "flows row");
        Reads.Text(row, "created_date", "flows row");
        Assert.Equal(!generated, row["created_by_human"]!.GetValue<bool>());

        // flows/[id].vue:12 → index.js:358.
        EditorReads(await browser.GetAsync($"/flows/?id={flowId}"), "GET /flows/?id=");

        // requests/index.vue:74 → index.js:363; the table reads request_instructions, flow, created_date, id (requests/index.vue:29-33, 140-171).
        var requests = Reads.NonEmptyList(await browser.GetAsync("/flow_requests/all"), "GET /flow_requests/all");
        var request = requests.Single(r => r!["id"]!.GetValue<string>() == requestId)!;
        Reads.Text(request, "request_instructions", "requests row");
        Reads.StringOrNull(request, "flow", "requests row");
        Reads.Text(request, "created_date", "requests row");
        Assert.Equal(flowId, request["flow"]!.GetValue<string>());

        // requests/[id].vue:17 → index.js:378; the page reads flow, created_by_email, id, request_instructions (:85, 181, 238, 278).
        var detail = await browser.GetAsync($"/flow_requests/?id={requestId}");
        Reads.Text(detail, "id", "GET /flow_requests/?id=");
        Reads.Text(detail, "flow", "GET /flow_requests/?id=");
        Reads.Text(detail, "request_instructions", "GET /flow_requests/?id=");
        Assert.Equal(email, detail["created_by_email"]!.GetValue<string>());
    }
}
