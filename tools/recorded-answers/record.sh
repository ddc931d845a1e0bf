#!/usr/bin/env bash
# Asks a running Neena server a fixed set of questions about the data seed.sh made, on both surfaces, and writes
# each answer (status, content type, body) to OUT_DIR/NNN.txt. Only reads and refused writes: the data stays as it was,
# so two servers started on copies of one seeded database must answer byte for byte alike.
# Usage: record.sh BASE_URL API_KEY IDS_ENV OUT_DIR
set -uo pipefail
N=$1; KEY=$2; source "$3"; OUT=$4; mkdir -p "$OUT"
NONE=00000000-0000-4000-8000-000000000001
i=0
ask() { # method path [body]; both surfaces
  local m=$1 p=$2 b=${3-}
  for surface in v1 root; do
    i=$((i + 1))
    local url auth
    if [ $surface = v1 ]; then url="$N/api/v1/$p"; auth="Authorization: Bearer $KEY"; else url="$N/$p"; auth="api_key: $KEY"; fi
    local f; f=$(printf '%s/%03d.txt' "$OUT" $i)
    printf '%s %s %s\n' "$m" "$surface" "$p" >"$f"
    if [ -n "$b" ]; then
      curl -s -o "$f.body" -w '%{http_code} %{content_type}\n' -X "$m" -H "$auth" -H "Content-Type: application/json" "$url" --data-binary "$b" >>"$f"
    else
      curl -s -o "$f.body" -w '%{http_code} %{content_type}\n' -X "$m" -H "$auth" "$url" >>"$f"
    fi
    cat "$f.body" >>"$f"; rm -f "$f.body"
  done
}
ask GET "users/"
ask GET "api_keys/all"
ask GET "integrations/all"
ask GET "task_definitions/all?limit=1000"
ask GET "task_definitions/?id=$COMPOSE"
ask GET "webhook_trigger_definitions/all"
ask GET "integration_credentials/all"
ask GET "integration_credentials/?id=$CRED"
ask GET "flow_requests/all"
ask GET "flow_requests/?id=$REQ"
ask GET "flows/all"
ask GET "flows/?id=$FLOW"
ask GET "flows/?id=$BAD"
ask GET "flows/?id=$GEN"
for r in $RUN_OK $RUN_FAIL $RUN_RETRY $RUN_CANCEL $RUN_PENDING $RUN_REJECT $HOOKRUN; do
  ask GET "flow_runs/?id=$r"
  ask GET "flow_runs/with_flow_result?id=$r"
done
ask GET "flow_runs/all"
ask GET "flow_runs/all?limit=2"
ask GET "flow_runs/all?limit=2&offset=2"
ask GET "flow_runs/preview/all"
ask GET "flow_runs/all?status=failed,cancelled&flow_id=$BAD"
ask GET "flow_runs/$RUN_OK"
ask GET "flow_runs/all_for_flow_id?flow_id=$FLOW"
ask GET "flow_runs/all_for_flow_id?flow_id=$BAD"
ask GET "flow_results/all"
ask GET "flow_results/?id=$RUN_OK"
ask GET "webhook_trigger_operations/all"
ask GET "webhook_trigger_operations/?id=$OP"
ask GET "trigger_runs/all"
ask GET "trigger_runs/?id=$TRUN"
ask GET "analytics/org/$ORG/summary"
ask GET "analytics/org/$ORG/summary?flow_id=$FLOW"
ask GET "analytics/org/$ORG/summary?start_date=2026-01-01T00:00:00Z&end_date=2030-01-01T00:00:00Z"
ask GET "analytics/org/$ORG/flows/$FLOW"
ask GET "analytics/org/$ORG/flows/$BAD?state=FAILED,CANCELLED&page_size=1"
ask GET "analytics/org/$ORG/flows/$FLOW?state=PAUSED,COMPLETED"
ask GET "analytics/org/$ORG/flows/$FLOW?state=NOPE"
ask GET "analytics/org/$NONE/summary"
# Refusals: unknown ids, malformed input, transitions that do not apply.
ask GET "flow_runs/?id=$NONE"
ask GET "flow_runs/?id=not-a-guid"
ask GET "flows/?id=$NONE"
ask GET "flow_requests/?id=$NONE"
ask GET "flow_runs/all?limit=-1"
ask PUT "flow_runs/approve?flow_run_id=$RUN_OK" '{}'
ask PUT "flow_runs/cancel?flow_run_id=$RUN_FAIL" '{}'
ask PUT "flow_runs/retry?flow_run_id=$RUN_OK" '{}'
ask PUT "flow_runs/approve?flow_run_id=$NONE" '{}'
ask POST "flows/" '{"name": "", "task_operations": [{"index": 0}], "dependencies": [{"source_task_operation": 0, "target_task_operation": 7}]}'
ask POST "flows/" '{"name": "x", "task_operations": "nope"'
ask POST "flow_requests/" '{"request_instructions": "short"}'
ask POST "flow_runs/" '{"flow": "'$NONE'", "flow_request": "'$REQ'"}'
ask POST "webhook_trigger_operations/" '{"name": "x"}'
ask DELETE "flows/?id=$NONE"
curl -s "$N/swagger/v1/swagger.json" >"$OUT/openapi.json"
echo "$i answers in $OUT"
