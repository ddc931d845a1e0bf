#!/usr/bin/env bash
# Records the API's answers for one seeded database with two builds of the server and compares them byte for byte.
#   compare.sh seed   SERVER_DLL WORK_DIR          # start SERVER_DLL on a new embedded database, seed it, stop
#   compare.sh record SERVER_DLL WORK_DIR NAME     # copy the seeded database, start SERVER_DLL on it, record to WORK_DIR/NAME
#   diff -r WORK_DIR/before WORK_DIR/after         # nothing printed: the same answers
# SERVER_DLL is a built src/Neena.Api (…/bin/Release/net10.0/Neena.Api.dll). Needs curl, jq, openssl.
set -euo pipefail
cmd=$1; dll=$(realpath "$2"); work=$(realpath -m "$3"); here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-5391}; base="http://127.0.0.1:$port"
mkdir -p "$work"
start() { # data dir
  DevDatabase__DataDirectory="$1" ASPNETCORE_URLS="$base" ASPNETCORE_ENVIRONMENT=Development Serilog__MinimumLevel__Default=Warning \
    dotnet "$dll" >"$work/server-$(basename "$1").log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "$base/health/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "server did not become ready; see $work/server-$(basename "$1").log" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; }
case $cmd in
  seed)
    rm -rf "$work/pg-seed"
    key=$(DevDatabase__DataDirectory="$work/pg-seed" ASPNETCORE_ENVIRONMENT=Development dotnet "$dll" create-api-key --email recorder@example.com | tail -1)
    echo "$key" >"$work/key"
    start "$work/pg-seed"
    "$here/seed.sh" "$base" "$key" "$work"
    stop ;;
  record)
    name=$4; rm -rf "$work/pg-$name" "$work/$name"; cp -a "$work/pg-seed" "$work/pg-$name"
    start "$work/pg-$name"
    "$here/record.sh" "$base" "$(cat "$work/key")" "$work/ids.env" "$work/$name"
    stop ;;
  *) echo "usage: compare.sh seed|record SERVER_DLL WORK_DIR [NAME]" >&2; exit 2 ;;
esac
