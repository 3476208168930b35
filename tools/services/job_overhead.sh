#!/usr/bin/env bash
# Per-job overhead of the services vs `organa run` on the same CT: wall time of `organa run` and of a job through
# `organa serve all` (upload with `curl -T` → SSE stream ends with done), alternating, REPEATS times each; then
# the median and range of the overhead. The job's id is cut out with sed (no interpreter start inside the timing).
# Each round also splits the job's time into its stage tasks (the stages' "task done" log seconds: image, post,
# mesh) and the rest ("outside the stages": upload, planning, internal calls, state changes, SSE delivery).
# Usage: tools/services/job_overhead.sh [path/to/organa] [repeats]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BIN=${1:-.build/debug/organa}
REPEATS=${2:-3}
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" phantom --size 128,128,60 --spacing 3,3,5 --seed 9002 --out "$WORK/ph" > /dev/null
CT=$WORK/ph/ct.nii.gz
export ORGANA_INTERNAL_SECRET=bench-secret-0123456789 ORGANA_API_KEYS=bench-key-0123456789 ORGANA_STORE=$WORK/store
"$BIN" serve all --port 0 --catalog models/catalog.json --log-level info --log-format json > "$WORK/out" 2> "$WORK/err" &
PID=$!
for _ in $(seq 100); do grep -q "gateway listening" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*gateway listening on \(http[^ ]*\).*/\1/p' "$WORK/out")
AUTH="Authorization: Bearer $ORGANA_API_KEYS"
overheads=()
outsides=()
for i in $(seq "$REPEATS"); do
  start=$(date +%s.%N)
  "$BIN" run "$CT" --out "$WORK/run$i" --catalog models/catalog.json --structures kidney,tumor --no-mirroring \
    > /dev/null 2>&1
  run=$(echo "$(date +%s.%N) - $start" | bc)
  start=$(date +%s.%N)
  id=$(curl -s -H "$AUTH" -T "$CT" -X POST "$URL/v1/jobs?structures=kidney,tumor&mirroring=false" \
    | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  curl -s -N -H "$AUTH" "$URL/v1/jobs/$id/events" > "$WORK/events$i"
  job=$(echo "$(date +%s.%N) - $start" | bc)
  state=$(curl -s -H "$AUTH" "$URL/v1/jobs/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  overhead=$(echo "$job - $run" | bc)
  overheads+=("$overhead")
  tasks=$(grep '"task done"' "$WORK/err" | grep "\"$id\"" \
    | python3 -c 'import json,sys; print("%.3f" % sum(float(json.loads(l)["seconds"]) for l in sys.stdin))')
  outside=$(echo "$job - $tasks" | bc)
  outsides+=("$outside")
  echo "round $i: organa run ${run} s; service job ${job} s ($state; stage tasks ${tasks} s, outside the stages" \
    "${outside} s); overhead ${overhead} s"
done
# Median and range of a list of numbers.
summary() {
  local sorted n median
  sorted=$(printf '%s\n' "$@" | sort -g)
  n=$#
  median=$(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")
  [ $((n % 2)) -eq 0 ] && median=$(echo "scale=3; ($median + $(echo "$sorted" | sed -n "$(( n / 2 + 1 ))p")) / 2" | bc)
  echo "median ${median} s, range $(echo "$sorted" | head -1) … $(echo "$sorted" | tail -1) s over $n rounds"
}
echo "overhead (service job - organa run): $(summary "${overheads[@]}")"
echo "outside the stages (service job - stage tasks): $(summary "${outsides[@]}")"
