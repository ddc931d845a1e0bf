// Checks an OpenAPI document with the pinned third-party tools, one after the other, and exits non-zero when any refuses it:
//   node lint.mjs path/to/openapi.json
// 1. Spectral, ruleset spectral:oas (.spectral.yaml): no error.
// 2. Redocly, ruleset recommended (redocly.yaml): no error.
// 3. openapi-typescript, default settings: generates strict/generated/schema.ts (a .ts, so that tsc checks it too).
// 4. tsc (strict) compiles strict/client.ts, a small program written against the generated types.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const document = process.argv[2] && resolve(process.argv[2]);
if (!document) {
  console.error("usage: node lint.mjs <openapi.json>");
  process.exit(2);
}
const bin = (pkg, file) => join(here, "node_modules", pkg, file);
// A stale schema.ts from an earlier run must not let tsc pass when openapi-typescript fails.
rmSync(join(here, "strict", "generated"), { recursive: true, force: true });
mkdirSync(join(here, "strict", "generated"), { recursive: true });

const steps = [
  ["spectral (spectral:oas)", bin("@stoplight/spectral-cli", "dist/index.js"),
    ["lint", "--ruleset", join(here, ".spectral.yaml"), "--fail-severity", "error", "--display-only-failures", "--format", "text", document]],
  ["redocly (recommended)", bin("@redocly/cli", "bin/cli.js"),
    ["lint", "--config", join(here, "redocly.yaml"), "--format", "codeframe", document]],
  ["openapi-typescript", bin("openapi-typescript", "bin/cli.js"),
    [document, "--output", join(here, "strict", "generated", "schema.ts")]],
  ["tsc (strict client)", bin("typescript", "bin/tsc"), ["--project", join(here, "strict", "tsconfig.json")]],
];

let failed = 0;
for (const [name, script, args] of steps) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [script, ...args], { cwd: here, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1", REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = run.status === 0;
  console.log(`== ${name}: ${ok ? "ok" : `FAILED (exit ${run.status ?? run.signal})`} in ${seconds} s`);
  if (!ok) {
    failed++;
    // Warnings are many and not failures: show the failing tool's whole output, the rest only on failure.
    console.log(`${run.stdout ?? ""}${run.stderr ?? ""}`.trim());
  }
}
process.exit(failed === 0 ? 0 : 1);
