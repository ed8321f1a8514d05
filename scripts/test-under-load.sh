#!/usr/bin/env bash
# Runs the project's full test command three times in a row while two CPU-bound processes keep the machine busy,
# as a CI machine shared with other work is. Passes only when all three runs have zero failures.
#
#   bash scripts/test-under-load.sh            # three runs of `npm test`
#   RUNS=5 bash scripts/test-under-load.sh     # more runs
#
# Each run's vitest JSON report is kept in .tmp/under-load/run-N.json, and its output in run-N.log, so a failure
# can be read afterwards. The load processes are stopped on exit, also after a failure or Ctrl-C.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-3}"
out=.tmp/under-load
mkdir -p "$out"

load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${load_pids[@]}"; do wait "$pid" 2>/dev/null; done
  load_pids=()
}
trap stop_load EXIT
trap 'stop_load; exit 130' INT TERM

# Two busy loops, one per core of the reference machine; each ends by itself after two hours at the latest.
for _ in 1 2; do
  node -e 'const end = Date.now() + 2 * 3600 * 1000; let x = 0; while (Date.now() < end) { x = (x * 31 + 7) % 1000003; }' &
  load_pids+=("$!")
done
echo "load: two CPU-bound processes (pids ${load_pids[*]})"

failed_runs=0
for run in $(seq 1 "$runs"); do
  report="$out/run-$run.json"
  log="$out/run-$run.log"
  rm -f "$report"
  started=$(date +%s)
  npm test -- --reporter=default --reporter=json --outputFile.json="$report" >"$log" 2>&1
  status=$?
  seconds=$(( $(date +%s) - started ))
  summary=$(node --input-type=module -e '
import { existsSync, readFileSync } from "node:fs";
const file = process.argv[1];
if (!existsSync(file)) { console.log("no report (the test command did not finish)"); process.exit(0); }
const r = JSON.parse(readFileSync(file, "utf8"));
const failed = [];
for (const f of r.testResults) for (const t of f.assertionResults) if (t.status === "failed") failed.push(`  ${f.name.replace(process.cwd() + "/", "")} > ${t.fullName}`);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (failed.length ? "\n" + failed.join("\n") : ""));
' "$report")
  echo "run $run of $runs (${seconds} s, exit $status): $summary"
  if [ "$status" -ne 0 ]; then
    failed_runs=$((failed_runs + 1))
    echo "  output: $log"
  fi
done

stop_load
if [ "$failed_runs" -eq 0 ]; then
  echo "under load: all $runs runs passed"
  exit 0
fi
echo "under load: $failed_runs of $runs runs failed"
exit 1
